import { sql } from 'drizzle-orm';
import type { MessageJson } from '$lib/schemas/messaging';
import { rowsOf, type Db } from '../db';
import { notifyLive } from '../live/events';
import { getConfig } from '../config';
import { limitArrays, limitReached, type LimitSet } from '../rate-limit';
import { maskContactDetails, type ContactMaskingMode } from './contact-masking';
import { AttachmentNotUsableError, rethrowDatabaseRefusal } from './errors';
import { messageRowFromSql, toMessageJson, type MessageRow } from './views';

/** Who writes a message. Every way a message gets into a conversation names one of these. */
export type Author =
	/** A party typing in the app (or through the JSON API). */
	| { kind: 'user'; userId: string }
	/** A party answering a notification email. */
	| { kind: 'email'; userId: string }
	/** An AI agent; `actingFor` is the party it speaks for, who must be a party of the contract. */
	| { kind: 'assistant'; agentId: string; actingFor?: string }
	/**
	 * The platform itself: status changes and the like. `causedBy` is the party whose action it
	 * reports; it is read for them and unread for the other party.
	 */
	| { kind: 'system'; causedBy?: string };

export interface AppendInput {
	/** Already validated and normalised (messageBodySchema). */
	body: string;
	/** The client's Idempotency-Key: a retry within 24 hours answers the first message. */
	idempotencyKey?: string;
	/** Backdating, for demo data and tests. */
	at?: Date;
	/** CONTACT_MASKING by default; tests pass another mode. */
	contactMasking?: ContactMaskingMode;
	/**
	 * Uploads the message takes (attachments.ts): the author's party's, to this contract, unused;
	 * otherwise AttachmentNotUsableError and nothing is written. The body may then be empty.
	 */
	attachmentIds?: readonly string[];
	/**
	 * Rate limits the send counts against (limits.ts: messageLimits): a limit already reached, or
	 * passed by this send, throws its RateLimitedError and nothing is written. Counted in the same
	 * call as the send; a replayed send counts nothing.
	 */
	limits?: LimitSet;
}

export interface Appended {
	/** As the author sees it (for a system message: as neither party, so unread). */
	message: MessageJson;
	/** True when the idempotency key had been used for this message already: nothing was written. */
	replayed: boolean;
}

interface PostedRow {
	message: MessageRow | string | null;
	replayed: boolean;
	live_payload: string | null;
}

/**
 * Posts a message into the contract's conversation, creating the thread on the first one; null
 * when the author may not post there (not a party, or no such contract). The whole write (the
 * author's check, the thread's lock and sequence number, unread counts, the sender's receipts,
 * live events, email notifications and the idempotency key) is one call of parley_post_message,
 * so the thread's lock is held for the database's own work only. Its NOTIFY follows: after the
 * commit, or, inside a caller's transaction, delivered by Postgres when that commits.
 * Contact details are hidden from the recipients at write time. Whether that applies depends on
 * the contract's state, which only parley_post_message reads, so whenever masking is on the text
 * is masked beforehand (tens of microseconds: cheaper than a second call) and the function keeps
 * the masked text only when it applies.
 */
export async function appendMessage(
	db: Db,
	author: Author,
	contractId: string,
	input: AppendInput
): Promise<Appended | null> {
	const userId = author.kind === 'user' || author.kind === 'email' ? author.userId : null;
	const agentId = author.kind === 'assistant' ? author.agentId : null;
	const actingFor = author.kind === 'assistant' ? (author.actingFor ?? null) : null;
	const role = author.kind === 'email' ? 'user' : author.kind;
	const via = author.kind === 'email' ? 'email' : 'app';
	const causedBy = author.kind === 'system' ? (author.causedBy ?? null) : null;
	const masking = input.contactMasking ?? getConfig().messaging.contactMasking;
	const maskedBody = masking === 'off' || role === 'system' ? null : maskContactDetails(input.body);
	const limits = input.limits ? limitArrays(input.limits.limits) : null;
	const [row] = rowsOf<PostedRow>(
		await db
			.execute(
				sql`select message, replayed, live_payload from parley_post_message(${contractId}::uuid, ${role}, ${userId}::uuid, ${agentId}, ${actingFor}::uuid, ${via}, ${input.body}, ${input.idempotencyKey ?? null}, ${input.at?.toISOString() ?? null}::timestamptz, ${causedBy}::uuid, ${attachmentIdsArray(input.attachmentIds)}::uuid[], ${masking}, ${maskedBody}, ${limits?.keys ?? null}::text[], ${limits?.max ?? null}::integer[], ${limits?.windows ?? null}::integer[])`
			)
			.catch((err) =>
				rethrowDatabaseRefusal(err, {
					PR429: ({ detail, hint }) =>
						limitReached(input.limits!, detail ?? '', Math.max(1, Number(hint) || 60))
				})
			)
	);
	if (!row?.message) return null;
	await notifyLive(db, row.live_payload);
	const message = messageRowFromSql(row.message);
	// Writing reads everything up to one's own message; nobody has read anyone else's yet.
	const reader = userId ?? causedBy;
	return {
		message: toMessageJson(message, {
			viewerId: reader,
			contractId,
			lastReadSeq: reader ? message.seq : message.seq - 1
		}),
		replayed: row.replayed
	};
}

/** A uuid[] literal for the call (ids already validated as UUIDs), or null. */
function attachmentIdsArray(ids: readonly string[] | undefined): string | null {
	if (!ids || ids.length === 0) return null;
	for (const id of ids) {
		if (!/^[0-9a-f-]{36}$/i.test(id)) throw new AttachmentNotUsableError();
	}
	return `{${ids.join(',')}}`;
}
