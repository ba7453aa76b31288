import { and, asc, desc, eq, gte, inArray, isNotNull, isNull, lte, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Db } from '../db';
import { isoTime, isoTimeOrNull } from '../db/iso-time';
import {
	apiTokens,
	contracts,
	emailQueue,
	messageNotifications,
	messages,
	moderationActions,
	reports,
	sessions,
	users,
	type Report
} from '../db/schema';
import { revokeReplyTokens } from '../email/reply-tokens';
import { closeUserStreams } from '../live/events';
import { deleteMessageAsModerator } from '../messaging/lifecycle';

// What operators see and do at /admin/reports. Every function checks the caller's role itself
// and answers null to anyone else, so a page cannot forget to; every action is recorded in
// moderation_actions with who, when and why.

export async function isOperator(db: Db, userId: string): Promise<boolean> {
	const [row] = await db
		.select({ role: users.role })
		.from(users)
		.where(and(eq(users.id, userId), isNull(users.suspendedAt)));
	return row?.role === 'operator';
}

/**
 * Sets a user's role by email (npm run user:role); false when no account has confirmed the address
 * (an unconfirmed one may be anybody's sign-up with somebody else's address).
 */
export async function setUserRole(
	db: Db,
	email: string,
	role: 'user' | 'operator'
): Promise<boolean> {
	const updated = await db
		.update(users)
		.set({ role })
		.where(
			and(
				eq(sql`lower(${users.email})`, email.trim().toLowerCase()),
				isNotNull(users.emailConfirmedAt)
			)
		)
		.returning({ id: users.id });
	return updated.length > 0;
}

export interface ReportPerson {
	id: string;
	name: string;
	email: string;
	suspended: boolean;
}

export interface ReportListItem {
	id: string;
	reason: Report['reason'];
	note: string;
	status: Report['status'];
	createdAt: string;
	resolvedAt: string | null;
	reporter: ReportPerson;
	reported: ReportPerson;
	/** The reported message as written (contact details not hidden); null for a person report. */
	message: { id: string; body: string; deleted: boolean; createdAt: string } | null;
	contract: { id: string; title: string; status: string } | null;
}

const reporter = alias(users, 'reporter');
const reported = alias(users, 'reported');

function selectReports(db: Db) {
	return db
		.select({
			id: reports.id,
			reason: reports.reason,
			note: reports.note,
			status: reports.status,
			createdAt: isoTime(reports.createdAt),
			resolvedAt: isoTimeOrNull(reports.resolvedAt),
			reporter: {
				id: reporter.id,
				name: reporter.displayName,
				email: reporter.email,
				suspended: sql<boolean>`${reporter.suspendedAt} is not null`
			},
			reported: {
				id: reported.id,
				name: reported.displayName,
				email: reported.email,
				suspended: sql<boolean>`${reported.suspendedAt} is not null`
			},
			messageId: messages.id,
			messageBody: messages.body,
			messageDeleted: sql<boolean>`${messages.deletedAt} is not null`,
			messageCreatedAt: isoTimeOrNull(messages.createdAt),
			messageSeq: messages.seq,
			messageThreadId: messages.threadId,
			contractId: contracts.id,
			contractTitle: contracts.title,
			contractStatus: contracts.status
		})
		.from(reports)
		.innerJoin(reporter, eq(reporter.id, reports.reporterId))
		.innerJoin(reported, eq(reported.id, reports.reportedUserId))
		.leftJoin(messages, eq(messages.id, reports.messageId))
		.leftJoin(contracts, eq(contracts.id, reports.contractId))
		.$dynamic();
}

type ReportRow = Awaited<ReturnType<ReturnType<typeof selectReports>['execute']>>[number];

function toListItem(row: ReportRow): ReportListItem {
	return {
		id: row.id,
		reason: row.reason,
		note: row.note,
		status: row.status,
		createdAt: row.createdAt,
		resolvedAt: row.resolvedAt,
		reporter: row.reporter,
		reported: row.reported,
		message:
			row.messageId && row.messageCreatedAt
				? {
						id: row.messageId,
						body: row.messageBody ?? '',
						deleted: row.messageDeleted,
						createdAt: row.messageCreatedAt
					}
				: null,
		contract:
			row.contractId && row.contractTitle && row.contractStatus
				? { id: row.contractId, title: row.contractTitle, status: row.contractStatus }
				: null
	};
}

/** Open reports oldest first (the queue), or the latest closed ones; null for a non-operator. */
export async function listReports(
	db: Db,
	operatorId: string,
	options: { status: 'open' | 'closed'; limit: number }
): Promise<ReportListItem[] | null> {
	if (!(await isOperator(db, operatorId))) return null;
	const rows = await selectReports(db)
		.where(
			options.status === 'open'
				? eq(reports.status, 'open')
				: inArray(reports.status, ['dismissed', 'actioned'])
		)
		.orderBy(options.status === 'open' ? asc(reports.createdAt) : desc(reports.resolvedAt))
		.limit(options.limit);
	return rows.map(toListItem);
}

export interface ConversationLine {
	id: string;
	seq: number;
	senderName: string | null;
	senderRole: string;
	body: string;
	createdAt: string;
	deleted: boolean;
	isReported: boolean;
}

export interface RecordedAction {
	id: string;
	action: string;
	reason: string;
	createdAt: string;
	operatorName: string;
}

export interface ReportDetail extends ReportListItem {
	/** The messages around the reported one, as written. */
	conversation: ConversationLine[];
	actions: RecordedAction[];
}

const CONTEXT = 5;

/** One report with its message in its conversation and what was done; null for a non-operator. */
export async function getReportDetail(
	db: Db,
	operatorId: string,
	reportId: string
): Promise<ReportDetail | null> {
	if (!(await isOperator(db, operatorId))) return null;
	const [row] = await selectReports(db).where(eq(reports.id, reportId));
	if (!row) return null;
	const sender = alias(users, 'sender');
	const conversation =
		row.messageThreadId && row.messageSeq !== null
			? await db
					.select({
						id: messages.id,
						seq: messages.seq,
						senderName: sender.displayName,
						senderRole: messages.senderRole,
						body: messages.body,
						createdAt: isoTime(messages.createdAt),
						deleted: sql<boolean>`${messages.deletedAt} is not null`
					})
					.from(messages)
					.leftJoin(sender, eq(sender.id, messages.senderId))
					.where(
						and(
							eq(messages.threadId, row.messageThreadId),
							gte(messages.seq, row.messageSeq - CONTEXT),
							lte(messages.seq, row.messageSeq + CONTEXT)
						)
					)
					.orderBy(asc(messages.seq))
			: [];
	const operator = alias(users, 'operator');
	const actions = await db
		.select({
			id: moderationActions.id,
			action: moderationActions.action,
			reason: moderationActions.reason,
			createdAt: isoTime(moderationActions.createdAt),
			operatorName: operator.displayName
		})
		.from(moderationActions)
		.innerJoin(operator, eq(operator.id, moderationActions.operatorId))
		.where(eq(moderationActions.reportId, reportId))
		.orderBy(asc(moderationActions.createdAt));
	return {
		...toListItem(row),
		conversation: conversation.map((m) => ({ ...m, isReported: m.id === row.messageId })),
		actions
	};
}

export type ReportAction = 'dismiss' | 'delete_message' | 'suspend';

/**
 * Suspends an account: its sessions and API tokens go, its open live streams close on every
 * instance, no email is sent to it any more, and its contracts show it as suspended. Runs in the
 * caller's transaction; false when it was suspended already.
 */
export async function suspendUser(
	tx: Db,
	operatorId: string,
	userId: string,
	reason: string,
	reportId: string | null
): Promise<boolean> {
	const suspended = await tx
		.update(users)
		.set({ suspendedAt: sql`now()` })
		.where(and(eq(users.id, userId), isNull(users.suspendedAt)))
		.returning({ id: users.id });
	if (suspended.length === 0) return false;
	await tx.delete(sessions).where(eq(sessions.userId, userId));
	await tx
		.update(apiTokens)
		.set({ revokedAt: sql`now()` })
		.where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)));
	await tx
		.update(messageNotifications)
		.set({ status: 'skipped', skipReason: 'suspended', processedAt: sql`now()`, lockedUntil: null })
		.where(
			and(eq(messageNotifications.recipientId, userId), eq(messageNotifications.status, 'pending'))
		);
	// Revoked rather than only refused while suspended, so a reply address from before the
	// suspension stays dead after it is lifted (the next email issues a new one).
	await revokeReplyTokens(tx, userId);
	await tx
		.update(emailQueue)
		.set({ status: 'failed', lastError: 'recipient suspended', lockedUntil: null })
		.where(and(eq(emailQueue.recipientId, userId), eq(emailQueue.status, 'pending')));
	await tx.insert(moderationActions).values({
		operatorId,
		action: 'suspend',
		reason,
		reportId,
		targetUserId: userId
	});
	// Delivered when the transaction commits, to every instance.
	await closeUserStreams(tx, userId);
	return true;
}

/**
 * An operator acts on a report: dismisses it, deletes the reported message (the sender's
 * tombstone), or suspends the reported account; the report is closed and the action recorded.
 * Null for a non-operator or an unknown report; false when there was nothing to do (the message
 * was gone already, or the report is about a person and the action needs a message).
 */
export async function actOnReport(
	db: Db,
	operatorId: string,
	reportId: string,
	action: ReportAction,
	reason: string
): Promise<boolean | null> {
	if (!(await isOperator(db, operatorId))) return null;
	return db.transaction(async (tx) => {
		const [report] = await tx.select().from(reports).where(eq(reports.id, reportId)).for('update');
		if (!report) return null;
		// Handled already (a double submit, another operator): nothing runs or is recorded twice.
		if (report.status !== 'open') return false;
		if (action === 'delete_message') {
			if (!report.messageId) return false;
			await deleteMessageAsModerator(tx, operatorId, report.messageId);
			await tx.insert(moderationActions).values({
				operatorId,
				action,
				reason,
				reportId,
				targetUserId: report.reportedUserId,
				messageId: report.messageId
			});
		} else if (action === 'suspend') {
			const changed = await suspendUser(tx, operatorId, report.reportedUserId, reason, reportId);
			if (!changed) {
				// Suspended already (another report): still recorded, so this report shows why it closed.
				await tx.insert(moderationActions).values({
					operatorId,
					action,
					reason,
					reportId,
					targetUserId: report.reportedUserId
				});
			}
		} else {
			await tx.insert(moderationActions).values({
				operatorId,
				action,
				reason,
				reportId,
				targetUserId: report.reportedUserId,
				messageId: report.messageId
			});
		}
		await tx
			.update(reports)
			.set({
				status: action === 'dismiss' ? 'dismissed' : 'actioned',
				resolvedAt: sql`now()`,
				resolvedBy: operatorId
			})
			.where(eq(reports.id, reportId));
		return true;
	});
}

/**
 * Lifts a suspension: the account can sign in and be emailed again. What the suspension ended
 * stays ended: its sessions, API tokens and reply addresses are gone (the user signs in again
 * and makes new tokens; the next email carries a new reply address), and the emails skipped
 * meanwhile are not sent. The account's name when it is lifted; null for a non-operator or an
 * unknown user; false when the account was not suspended (a double submit, another operator).
 */
export async function unsuspendUser(
	db: Db,
	operatorId: string,
	userId: string,
	reason: string
): Promise<{ name: string } | false | null> {
	if (!(await isOperator(db, operatorId))) return null;
	return db.transaction(async (tx) => {
		const [user] = await tx
			.select({ suspendedAt: users.suspendedAt, name: users.displayName })
			.from(users)
			.where(eq(users.id, userId))
			.for('update');
		if (!user) return null;
		if (!user.suspendedAt) return false;
		await tx.update(users).set({ suspendedAt: null }).where(eq(users.id, userId));
		await tx.insert(moderationActions).values({
			operatorId,
			action: 'unsuspend',
			reason,
			targetUserId: userId
		});
		return { name: user.name };
	});
}

export interface SuspendedAccount {
	id: string;
	name: string;
	email: string;
	suspendedAt: string;
	/** The suspension's recorded action; null when it was set outside /admin (e.g. by SQL). */
	suspension: { reason: string; operatorName: string; reportId: string | null } | null;
}

/** Suspended accounts, most recently suspended first; null for a non-operator. */
export async function listSuspendedAccounts(
	db: Db,
	operatorId: string,
	options: { limit: number }
): Promise<SuspendedAccount[] | null> {
	if (!(await isOperator(db, operatorId))) return null;
	const operator = alias(users, 'operator');
	// The latest suspend action of each account.
	const latest = db
		.selectDistinctOn([moderationActions.targetUserId], {
			targetUserId: moderationActions.targetUserId,
			reason: moderationActions.reason,
			reportId: moderationActions.reportId,
			operatorName: operator.displayName
		})
		.from(moderationActions)
		.innerJoin(operator, eq(operator.id, moderationActions.operatorId))
		.where(eq(moderationActions.action, 'suspend'))
		.orderBy(moderationActions.targetUserId, desc(moderationActions.createdAt))
		.as('latest');
	const rows = await db
		.select({
			id: users.id,
			name: users.displayName,
			email: users.email,
			suspendedAt: isoTime(users.suspendedAt),
			reason: latest.reason,
			reportId: latest.reportId,
			operatorName: latest.operatorName
		})
		.from(users)
		.leftJoin(latest, eq(latest.targetUserId, users.id))
		.where(isNotNull(users.suspendedAt))
		.orderBy(desc(users.suspendedAt), asc(users.id))
		.limit(options.limit);
	return rows.map((r) => ({
		id: r.id,
		name: r.name,
		email: r.email,
		suspendedAt: r.suspendedAt,
		suspension:
			r.reason !== null && r.operatorName !== null
				? { reason: r.reason, operatorName: r.operatorName, reportId: r.reportId }
				: null
	}));
}
