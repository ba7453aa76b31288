import { and, eq, sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../db';
import { notifyThreadParticipants, recordThreadEvent } from '../live/events';
import {
	messageReadReceipts as receipts,
	messageThreadParticipants as participants,
	messageThreads,
	messages
} from '../db/schema';

/**
 * Records the reader's receipt for every message of the thread up to `uptoSeq` that has none, and
 * lowers unread_count by exactly the number of receipts written. Runs inside the caller's
 * transaction with the participant row locked, so concurrent sends and reads keep
 * unread_count == (messages without this reader's receipt). Returns how many messages it marked.
 */
export async function markReadUpTo(
	tx: Db,
	threadId: string,
	readerId: string,
	uptoSeq: number
): Promise<number> {
	const [participant] = await tx
		.select({ lastReadSeq: participants.lastReadSeq })
		.from(participants)
		.where(and(eq(participants.threadId, threadId), eq(participants.userId, readerId)))
		.for('update');
	if (!participant || uptoSeq <= participant.lastReadSeq) return 0;

	// Sends take the thread lock and commit in seq order, so every message up to uptoSeq is
	// visible here: the watermark never passes a message that is still being written.
	const inserted = rowsOf<{ message_id: string }>(
		await tx.execute(sql`
			insert into ${receipts} (message_id, reader_id, read_at)
			select m.id, ${readerId}::uuid, now()
			from ${messages} m
			where m.thread_id = ${threadId} and m.seq > ${participant.lastReadSeq} and m.seq <= ${uptoSeq}
			on conflict do nothing
			returning message_id`)
	);

	await tx
		.update(participants)
		.set({
			lastReadSeq: uptoSeq,
			lastReadMessageId: sql`(select ${messages.id} from ${messages} where ${messages.threadId} = ${threadId} and ${messages.seq} = ${uptoSeq})`,
			unreadCount: sql`${participants.unreadCount} - ${inserted.length}`
		})
		.where(and(eq(participants.threadId, threadId), eq(participants.userId, readerId)));
	if (inserted.length > 0) {
		await recordThreadEvent(tx, threadId, 'message.read', { actorId: readerId, seq: uptoSeq });
	}
	return inserted.length;
}

/** PUT /messages/{id}/read: this message and every earlier one. Null when not the reader's. */
export async function markMessageRead(
	db: Db,
	readerId: string,
	messageId: string
): Promise<number | null> {
	return db
		.transaction(async (tx) => {
			const [message] = await tx
				.select({ threadId: messages.threadId, seq: messages.seq })
				.from(messages)
				.innerJoin(
					participants,
					and(eq(participants.threadId, messages.threadId), eq(participants.userId, readerId))
				)
				.where(eq(messages.id, messageId));
			if (!message) return null;
			const marked = await markReadUpTo(tx, message.threadId, readerId, message.seq);
			return { marked, threadId: message.threadId };
		})
		.then(async (result) => {
			if (!result) return null;
			if (result.marked > 0) await notifyThreadParticipants(db, result.threadId);
			return result.marked;
		});
}

/** Everything in the contract's thread up to its newest message. Null when there is no thread. */
export async function markThreadRead(
	db: Db,
	readerId: string,
	contractId: string
): Promise<number | null> {
	return db
		.transaction(async (tx) => {
			const [thread] = await tx
				.select({ id: messageThreads.id, lastSeq: messageThreads.lastSeq })
				.from(messageThreads)
				.innerJoin(
					participants,
					and(eq(participants.threadId, messageThreads.id), eq(participants.userId, readerId))
				)
				.where(eq(messageThreads.contractId, contractId));
			if (!thread) return null;
			const marked = await markReadUpTo(tx, thread.id, readerId, thread.lastSeq);
			return { marked, threadId: thread.id };
		})
		.then(async (result) => {
			if (!result) return null;
			if (result.marked > 0) await notifyThreadParticipants(db, result.threadId);
			return result.marked;
		});
}

// Spelled as SQL text, not a bound parameter: with prepared statements a parameter would let
// Postgres switch to a generic plan that cannot use the partial index on unread_count > 0.
const UNREAD_ONLY = sql`${participants.unreadCount} > 0`;

/** Total unread for the badge: reads only the reader's threads that have unread messages. */
export async function getUnreadCount(db: Db, userId: string): Promise<number> {
	const [row] = await db
		.select({ count: sql<number>`coalesce(sum(${participants.unreadCount}), 0)::int` })
		.from(participants)
		.where(and(eq(participants.userId, userId), UNREAD_ONLY));
	return row?.count ?? 0;
}

/** Unread count per contract for the rentals list: only threads with unread messages are read. */
export async function getUnreadByContract(db: Db, userId: string): Promise<Map<string, number>> {
	const rows = await db
		.select({ contractId: messageThreads.contractId, unread: participants.unreadCount })
		.from(participants)
		.innerJoin(messageThreads, eq(messageThreads.id, participants.threadId))
		.where(and(eq(participants.userId, userId), UNREAD_ONLY));
	return new Map(rows.map((r) => [r.contractId, r.unread]));
}
