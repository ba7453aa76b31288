import { and, eq, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Db } from '../db';
import { preparedPerDb } from '../db/prepared';
import { notifyLive } from '../live/events';
import { messageThreadParticipants as participants, messageThreads } from '../db/schema';

interface MarkedRow {
	marked: number;
	live_payload: string | null;
}

/**
 * Runs one of the read-state functions (src/lib/server/db/functions: receipts written or removed
 * and unread_count changed by exactly that many, under the participant's row lock) and tells the
 * thread's streams after the commit. Null when the reader has nothing there.
 */
async function changeReadState(db: Db, call: SQL): Promise<number | null> {
	const [row] = rowsOf<MarkedRow>(await db.execute(call));
	if (!row) return null;
	await notifyLive(db, row.live_payload);
	return row.marked;
}

/** PUT /messages/{id}/read: this message and every earlier one. Null when not the reader's. */
export function markMessageRead(db: Db, readerId: string, messageId: string) {
	return changeReadState(
		db,
		sql`select marked, live_payload from parley_mark_message_read(${messageId}::uuid, ${readerId}::uuid)`
	);
}

/** Everything in the contract's thread up to its newest message. Null when there is no thread. */
export function markThreadRead(db: Db, readerId: string, contractId: string) {
	return changeReadState(
		db,
		sql`select marked, live_payload from parley_mark_thread_read(${contractId}::uuid, ${readerId}::uuid)`
	);
}

// Spelled as SQL text, not a bound parameter: with prepared statements a parameter would let
// Postgres switch to a generic plan that cannot use the partial index on unread_count > 0.
const UNREAD_ONLY = sql`${participants.unreadCount} > 0`;

/**
 * Total unread for the badge: reads only the reader's threads that have unread messages (an
 * index-only scan), leaving out the threads they muted.
 */
export async function getUnreadCount(db: Db, userId: string): Promise<number> {
	const [row] = await unreadCountQuery(db).execute({ userId });
	return row?.count ?? 0;
}

const unreadCountQuery = preparedPerDb((db) =>
	db
		.select({ count: sql<number>`coalesce(sum(${participants.unreadCount}), 0)::int` })
		.from(participants)
		.where(
			and(
				eq(participants.userId, sql.placeholder('userId')),
				UNREAD_ONLY,
				sql`not ${participants.muted}`
			)
		)
		.prepare('unread_count')
);

/** Unread count per contract for the rentals list: only threads with unread messages are read. */
export async function getUnreadByContract(db: Db, userId: string): Promise<Map<string, number>> {
	const rows = await db
		.select({ contractId: messageThreads.contractId, unread: participants.unreadCount })
		.from(participants)
		.innerJoin(messageThreads, eq(messageThreads.id, participants.threadId))
		.where(and(eq(participants.userId, userId), UNREAD_ONLY));
	return new Map(rows.map((r) => [r.contractId, r.unread]));
}

/**
 * PUT /messages/{id}/unread: this message and every later one the reader did not write become
 * unread again (the watermark moves back; their receipts go). Null when not the reader's.
 */
export function markMessageUnread(db: Db, readerId: string, messageId: string) {
	return changeReadState(
		db,
		sql`select marked, live_payload from parley_mark_message_unread(${messageId}::uuid, ${readerId}::uuid)`
	);
}
