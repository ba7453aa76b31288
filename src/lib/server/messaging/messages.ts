import { and, desc, eq, lt, sql, type SQL } from 'drizzle-orm';
import type { MessageJson, ThreadJson } from '$lib/schemas/messaging';
import { rowsOf, type Db } from '../db';
import { isoTime, isoTimeOrNull } from '../db/iso-time';
import { preparedPerDb } from '../db/prepared';
import {
	contracts,
	messageReadReceipts as receipts,
	messageThreadParticipants as participants,
	messageThreads,
	messages,
	users
} from '../db/schema';
import { notifyLive } from '../live/events';
import {
	ThreadClosedError,
	findContractForParty,
	getThreadViewForContract,
	toThreadJson,
	type ContractParties
} from './threads';

/** The SQLSTATE parley_append_message raises for a post into a closed thread. */
const THREAD_CLOSED_SQLSTATE = 'PR409';

/** Maps the database's "thread is closed" error, wherever the driver wrapped it, to ours. */
function rethrowThreadClosed(err: unknown): never {
	for (let e: unknown = err; e instanceof Error; e = e.cause) {
		if ((e as { code?: unknown }).code === THREAD_CLOSED_SQLSTATE) throw new ThreadClosedError();
	}
	throw err;
}

// Timestamps from a raw query arrive as Date (PGlite) or as Postgres' text (postgres.js).
const toDate = (value: Date | string) => (value instanceof Date ? value : new Date(value));

interface SentRow {
	id: string;
	thread_id: string;
	sender_name: string | null;
	body: string;
	created_at: Date | string;
	live_payload: string;
}

/**
 * Posts a message as a party of the contract, creating the thread if needed. Null if not a party.
 * The whole write (thread lock, sequence number, unread counts, the sender's receipts, live events
 * and email notifications) is one call of `parley_send_message` (drizzle/0004), so the thread's
 * lock is held for the database's own work only, never across round trips; the NOTIFY follows
 * the commit.
 */
export async function sendMessage(
	db: Db,
	senderId: string,
	contractId: string,
	body: string,
	options: { at?: Date } = {}
): Promise<MessageJson | null> {
	const [row] = rowsOf<SentRow>(
		await db
			.execute(
				sql`select * from parley_send_message(${contractId}::uuid, ${senderId}::uuid, ${body}, ${options.at?.toISOString() ?? null}::timestamptz)`
			)
			.catch(rethrowThreadClosed)
	);
	if (!row) return null;
	await notifyLive(db, row.live_payload);
	return {
		id: row.id,
		threadId: row.thread_id,
		contractId,
		senderId,
		senderName: row.sender_name,
		senderRole: 'user',
		body: row.body,
		createdAt: toDate(row.created_at).toISOString(),
		editedAt: null,
		deletedAt: null,
		isOwn: true,
		isRead: true,
		readByCounterpartAt: null
	};
}

/**
 * A status line in the thread ("Paul Provider accepted the rental"), inside the caller's
 * transaction. Returns the thread id so the caller can notify its participants once committed.
 */
export async function postSystemMessage(
	tx: Db,
	contract: ContractParties,
	body: string,
	options: { at?: Date } = {}
): Promise<string> {
	const [row] = rowsOf<{ thread_id: string }>(
		await tx.execute(
			sql`select thread_id from parley_append_message(parley_thread_for_contract(${contract.id}::uuid), null, 'system', ${body}, ${options.at?.toISOString() ?? null}::timestamptz)`
		)
	);
	return row!.thread_id;
}

export interface MessagePage {
	thread: ThreadJson | null;
	messages: MessageJson[];
	nextCursor: string | null;
}

/**
 * One page of the contract's conversation for a party, oldest first, paging backwards by sequence
 * number: new messages only ever get higher numbers, so pages neither skip nor repeat.
 * Null when the actor is not a party.
 */
export async function listMessages(
	db: Db,
	viewerId: string,
	contractId: string,
	options: { before?: number; limit: number }
): Promise<MessagePage | null> {
	// The thread view answers "is this a party" too (it joins the viewer's participant row), so
	// the contract is looked up only when there is no thread yet.
	const view = await getThreadViewForContract(db, viewerId, contractId);
	if (!view) {
		const contract = await findContractForParty(db, viewerId, contractId);
		return contract ? { thread: null, messages: [], nextCursor: null } : null;
	}
	const thread = toThreadJson(view);
	const query = options.before ? messagesBefore(db) : newestMessages(db);
	const rows = await query.execute({
		threadId: thread.id,
		counterpartId: thread.counterpart.id,
		before: options.before,
		limit: options.limit + 1
	});
	const page = rows.slice(0, options.limit).reverse();
	const context = { viewerId, contractId, lastReadSeq: view.lastReadSeq };
	return {
		thread,
		messages: page.map((row) => toMessageJson(row, context)),
		nextCursor: rows.length > options.limit && page[0] ? String(page[0].seq) : null
	};
}

/** Messages of a thread, newest first, with the counterpart's receipt for "Seen". */
function selectMessageRows(db: Db, where: SQL | undefined) {
	return db
		.select({
			id: messages.id,
			threadId: messages.threadId,
			seq: messages.seq,
			senderId: messages.senderId,
			senderName: users.displayName,
			senderRole: messages.senderRole,
			body: messages.body,
			createdAt: isoTime(messages.createdAt),
			readByCounterpartAt: isoTimeOrNull(receipts.readAt)
		})
		.from(messages)
		.leftJoin(users, eq(users.id, messages.senderId))
		.leftJoin(
			receipts,
			and(
				eq(receipts.messageId, messages.id),
				eq(receipts.readerId, sql.placeholder('counterpartId'))
			)
		)
		.where(and(eq(messages.threadId, sql.placeholder('threadId')), where))
		.orderBy(desc(messages.seq))
		.limit(sql.placeholder('limit'));
}

const newestMessages = preparedPerDb((db) =>
	selectMessageRows(db, undefined).prepare('messages_newest')
);
const messagesBefore = preparedPerDb((db) =>
	selectMessageRows(db, lt(messages.seq, sql.placeholder('before'))).prepare('messages_before')
);
const messageById = preparedPerDb((db) =>
	selectMessageRows(db, eq(messages.id, sql.placeholder('messageId'))).prepare('message_by_id')
);

type MessageRow = Awaited<ReturnType<typeof selectMessageRows>>[number];

function toMessageJson(
	row: MessageRow,
	context: { viewerId: string; contractId: string; lastReadSeq: number }
): MessageJson {
	return {
		id: row.id,
		threadId: row.threadId,
		contractId: context.contractId,
		senderId: row.senderId,
		senderName: row.senderName ?? null,
		senderRole: row.senderRole,
		body: row.body,
		createdAt: row.createdAt,
		editedAt: null,
		deletedAt: null,
		isOwn: row.senderId === context.viewerId,
		isRead: row.seq <= context.lastReadSeq,
		readByCounterpartAt: row.readByCounterpartAt
	};
}

/** One message as a participant sees it (for live updates); null when they are not in its thread. */
export async function getMessageForViewer(
	db: Db,
	viewerId: string,
	messageId: string
): Promise<MessageJson | null> {
	const [found] = await db
		.select({
			threadId: messages.threadId,
			contractId: contracts.id,
			requesterId: contracts.requesterId,
			providerId: contracts.providerId,
			lastReadSeq: participants.lastReadSeq
		})
		.from(messages)
		.innerJoin(
			participants,
			and(eq(participants.threadId, messages.threadId), eq(participants.userId, viewerId))
		)
		.innerJoin(messageThreads, eq(messageThreads.id, messages.threadId))
		.innerJoin(contracts, eq(contracts.id, messageThreads.contractId))
		.where(eq(messages.id, messageId));
	if (!found) return null;
	const counterpartId = viewerId === found.providerId ? found.requesterId : found.providerId;
	const [row] = await messageById(db).execute({
		threadId: found.threadId,
		counterpartId,
		messageId,
		limit: 1
	});
	return row
		? toMessageJson(row, { viewerId, contractId: found.contractId, lastReadSeq: found.lastReadSeq })
		: null;
}
