import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { NotificationSettings, EmailSettings } from '../config';
import { rowsOf, type Db } from '../db';
import {
	apiTokens,
	contracts,
	messageNotifications,
	messageReadReceipts,
	messageThreadParticipants,
	messageThreads,
	messages,
	users
} from '../db/schema';
import { enqueueEmail } from '../email/queue';
import { messageDigestEmail } from '../email/templates';
import { replyAddress, replyTokenFor } from '../email/reply-tokens';
import { unsubscribeToken } from '../email/unsubscribe';
import { textWithFiles } from '$lib/attachment-summary';
import { assistantLabel, type AttachmentRow } from './views';

const agentToken = alias(apiTokens, 'agent_token');
const actingFor = alias(users, 'acting_for');

export interface NotifyCounts {
	/** Notifications taken up by this run (sent in a digest or skipped). */
	claimed: number;
	/** Notifications put into a digest email. */
	notified: number;
	skipped: number;
	/** Digest emails queued. */
	digests: number;
}

/**
 * Turns due message notifications into digest emails, one (recipient, thread) at a time, until
 * none is due or the deadline nears. Each group is handled in one transaction that locks its rows,
 * so concurrent runs on any number of instances never email the same messages twice, and a run
 * that dies leaves its group pending for the next one.
 */
export async function processDueNotifications(
	db: Db,
	settings: NotificationSettings,
	email: EmailSettings,
	deadline: number
): Promise<NotifyCounts> {
	const counts: NotifyCounts = { claimed: 0, notified: 0, skipped: 0, digests: 0 };
	// Groups another run is working on right now: left to it, not waited for.
	const busy: Pair[] = [];
	while (Date.now() < deadline) {
		const outcome = await db.transaction((tx) =>
			processOneGroup(tx, settings, email, counts, busy)
		);
		if (outcome === 'none') break;
		if (typeof outcome === 'object') busy.push(outcome);
	}
	return counts;
}

interface Pair {
	recipient_id: string;
	thread_id: string;
}

async function processOneGroup(
	tx: Db,
	settings: NotificationSettings,
	email: EmailSettings,
	counts: NotifyCounts,
	busy: Pair[]
): Promise<'none' | 'done' | Pair> {
	const due = sql`${messageNotifications.status} = 'pending'
		and ${messageNotifications.createdAt} <= now() - make_interval(secs => ${settings.delaySeconds})`;
	// Pick the oldest due group nobody else is working on...
	const notBusy = busy.length
		? sql`and (recipient_id, thread_id) not in (${sql.join(
				busy.map((p) => sql`(${p.recipient_id}::uuid, ${p.thread_id}::uuid)`),
				sql`, `
			)})`
		: sql``;
	const [pick] = rowsOf<Pair>(
		await tx.execute(sql`
			select recipient_id, thread_id from ${messageNotifications}
			where ${due} and (locked_until is null or locked_until <= now()) ${notBusy}
			order by created_at
			limit 1
			for update skip locked`)
	);
	if (!pick) return 'none';
	// One run per group: two runs holding different rows of one group must not wait for each
	// other (that deadlocks), so the second one leaves the group to the first.
	const [lock] = rowsOf<{ ok: boolean }>(
		await tx.execute(
			sql`select pg_try_advisory_xact_lock(hashtextextended(${pick.recipient_id} || ':' || ${pick.thread_id}, 0)) as ok`
		)
	);
	if (!lock?.ok) return pick;
	// ...then lock all of its due rows (waiting for a run that holds some, then seeing them done).
	const rows = await tx
		.select()
		.from(messageNotifications)
		.where(
			and(
				eq(messageNotifications.recipientId, pick.recipient_id),
				eq(messageNotifications.threadId, pick.thread_id),
				due
			)
		)
		.orderBy(asc(messageNotifications.createdAt))
		.for('update');
	if (rows.length === 0) return 'done';

	// At most one email per recipient and thread per cooldown: later messages wait for it to end.
	const [last] = rowsOf<{ sent_at: Date | string | null }>(
		await tx.execute(sql`
			select max(sent_at) as sent_at from ${messageNotifications}
			where recipient_id = ${pick.recipient_id} and thread_id = ${pick.thread_id} and status = 'sent'`)
	);
	const lastSent = last?.sent_at ? new Date(last.sent_at) : null;
	if (lastSent && Date.now() - lastSent.getTime() < settings.cooldownSeconds * 1000) {
		await tx
			.update(messageNotifications)
			.set({ lockedUntil: new Date(lastSent.getTime() + settings.cooldownSeconds * 1000) })
			.where(
				inArray(
					messageNotifications.id,
					rows.map((r) => r.id)
				)
			);
		return 'done';
	}

	const [recipient] = await tx
		.select({
			name: users.displayName,
			email: users.email,
			enabled: users.emailNotifications,
			suspended: sql<boolean>`${users.suspendedAt} is not null`,
			confirmed: sql<boolean>`${users.emailConfirmedAt} is not null`
		})
		.from(users)
		.where(eq(users.id, pick.recipient_id));
	const read = new Set(
		(
			await tx
				.select({ messageId: messageReadReceipts.messageId })
				.from(messageReadReceipts)
				.where(
					and(
						eq(messageReadReceipts.readerId, pick.recipient_id),
						inArray(
							messageReadReceipts.messageId,
							rows.map((r) => r.messageId)
						)
					)
				)
		).map((r) => r.messageId)
	);

	const skip = async (ids: string[], reason: string) => {
		if (ids.length === 0) return;
		await tx
			.update(messageNotifications)
			.set({ status: 'skipped', skipReason: reason, processedAt: new Date(), lockedUntil: null })
			.where(inArray(messageNotifications.id, ids));
		counts.skipped += ids.length;
	};
	counts.claimed += rows.length;

	// A suspended account gets no email at all (moderation/admin.ts).
	if (recipient?.suspended) {
		await skip(
			rows.map((r) => r.id),
			'suspended'
		);
		return 'done';
	}
	// Nobody proved the address is theirs: anyone could have signed it up (issue #13, finding 4).
	if (recipient && !recipient.confirmed) {
		await skip(
			rows.map((r) => r.id),
			'email_unconfirmed'
		);
		return 'done';
	}
	if (!recipient || !recipient.enabled) {
		await skip(
			rows.map((r) => r.id),
			'notifications_off'
		);
		return 'done';
	}
	// Muted after these were queued: still no email.
	const [participant] = await tx
		.select({ muted: messageThreadParticipants.muted })
		.from(messageThreadParticipants)
		.where(
			and(
				eq(messageThreadParticipants.threadId, pick.thread_id),
				eq(messageThreadParticipants.userId, pick.recipient_id)
			)
		);
	if (participant?.muted) {
		await skip(
			rows.map((r) => r.id),
			'muted'
		);
		return 'done';
	}
	await skip(
		rows.filter((r) => read.has(r.messageId)).map((r) => r.id),
		'read'
	);
	const unread = rows.filter((r) => !read.has(r.messageId));
	if (unread.length === 0) return 'done';

	const details = await tx
		.select({
			// The recipient is never the sender: hidden contact details stay hidden in the email.
			text: sql<string>`coalesce(${messages.maskedBody}, ${messages.body})`,
			files: sql<AttachmentRow[] | string>`parley_message_attachments(${messages.id})`,
			createdAt: messages.createdAt,
			senderName: users.displayName,
			senderRole: messages.senderRole,
			agentName: agentToken.name,
			actingForName: actingFor.displayName,
			contractId: contracts.id,
			contractTitle: contracts.title
		})
		.from(messages)
		.innerJoin(messageThreads, eq(messageThreads.id, messages.threadId))
		.innerJoin(contracts, eq(contracts.id, messageThreads.contractId))
		.leftJoin(users, eq(users.id, messages.senderId))
		.leftJoin(agentToken, sql`${agentToken.id}::text = ${messages.agentId}`)
		.leftJoin(actingFor, eq(actingFor.id, messages.actingForId))
		.where(
			inArray(
				messages.id,
				unread.map((r) => r.messageId)
			)
		)
		.orderBy(asc(messages.seq));
	const first = details[0]!;
	const unsubscribeUrl = `${email.publicOrigin}/unsubscribe/${unsubscribeToken(pick.recipient_id)}`;
	const content = messageDigestEmail({
		recipientName: recipient.name,
		// An assistant signs as in the conversation: "Helper for Paul".
		senderName:
			first.senderName ??
			(first.senderRole === 'assistant'
				? assistantLabel(first.agentName, first.actingForName)
				: 'Parley'),
		contractTitle: first.contractTitle,
		contractId: first.contractId,
		// Files are named ("Photo", "2 files: invoice.pdf, …"), never attached or quoted.
		messages: details.map((d) => ({
			...d,
			body: textWithFiles(
				d.text,
				typeof d.files === 'string' ? (JSON.parse(d.files) as AttachmentRow[]) : d.files
			)
		})),
		conversationUrl: `${email.publicOrigin}/dashboard/rentals/${first.contractId}/messages`,
		settingsUrl: `${email.publicOrigin}/dashboard/settings`,
		unsubscribeUrl,
		canReply: Boolean(email.inboundDomain)
	});
	// One email thread per conversation in mail clients: the first digest's Message-ID is the
	// conversation's, and every later one answers it.
	const host = messageIdHost(email);
	const root = `<conversation.${pick.thread_id}.${pick.recipient_id}@${host}>`;
	const threading: Record<string, string> = lastSent
		? {
				'Message-ID': `<notification.${unread[0]!.id}@${host}>`,
				'In-Reply-To': root,
				References: root
			}
		: { 'Message-ID': root };
	if (email.inboundDomain) {
		const token = await replyTokenFor(tx, pick.recipient_id, first.contractId);
		threading['Reply-To'] = replyAddress(token, email.inboundDomain);
	}
	const emailId = await enqueueEmail(tx, {
		type: 'message_notification',
		recipientId: pick.recipient_id,
		to: recipient.email,
		...content,
		headers: {
			'List-Unsubscribe': `<${unsubscribeUrl}>`,
			'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
			...threading
		},
		// Derived from the notifications it covers: the same digest can never be queued twice.
		idempotencyKey: `message-notification/${unread[0]!.id}`
	});
	await tx
		.update(messageNotifications)
		.set({
			status: 'sent',
			sentAt: new Date(),
			processedAt: new Date(),
			lockedUntil: null,
			emailQueueId: emailId
		})
		.where(
			inArray(
				messageNotifications.id,
				unread.map((r) => r.id)
			)
		);
	counts.notified += unread.length;
	counts.digests++;
	return 'done';
}

/** The domain after the @ of Message-IDs: the inbound domain, else the sender address's. */
export function messageIdHost(email: EmailSettings): string {
	if (email.inboundDomain) return email.inboundDomain;
	const address = /<([^>]+)>/.exec(email.from)?.[1] ?? email.from;
	return address.slice(address.lastIndexOf('@') + 1).trim() || 'parley.localhost';
}
