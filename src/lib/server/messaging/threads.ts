import { and, eq, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { ThreadJson } from '$lib/schemas/messaging';
import type { Db } from '../db';
import { isoTime, isoTimeOrNull } from '../db/iso-time';
import { preparedPerDb } from '../db/prepared';
import { notifyThreadParticipants, recordThreadEvent } from '../live/events';
import {
	contracts,
	messageThreadParticipants as participants,
	messageThreads,
	messages,
	users
} from '../db/schema';
import { InvalidCursorError, ThreadClosedError } from './errors';

// The errors live in errors.ts; importing them from here keeps working.
export { InvalidCursorError, ThreadClosedError } from './errors';

export interface ContractParties {
	id: string;
	title: string;
	requesterId: string;
	providerId: string;
}

/** The contract if the actor is one of its parties, else null (the caller answers 404). */
export async function findContractForParty(
	db: Db,
	actorId: string,
	contractId: string
): Promise<ContractParties | null> {
	const [row] = await db
		.select({
			id: contracts.id,
			title: contracts.title,
			requesterId: contracts.requesterId,
			providerId: contracts.providerId
		})
		.from(contracts)
		.where(
			and(
				eq(contracts.id, contractId),
				sql`(${contracts.requesterId} = ${actorId} or ${contracts.providerId} = ${actorId})`
			)
		);
	return row ?? null;
}

const counterpartUser = alias(users, 'counterpart_user');
const lastMessage = alias(messages, 'last_message');
const lastSender = alias(users, 'last_sender');

export const PREVIEW_LENGTH = 140;

/** A thread as the viewer sees it, plus what the server needs but does not send. */
type ThreadRow = ThreadJson & { cursorAt: string; lastReadSeq: number };

const viewerId = sql.placeholder('viewerId');

/**
 * Thread views as one viewer sees them. Every join is by primary key from the viewer's participant
 * rows, so a page costs O(page size) however many messages the threads hold. Built once per
 * database handle and filter (see preparedPerDb); the values come as placeholders.
 */
function buildThreadViews(db: Db, where: SQL | undefined, options: { inbox?: boolean } = {}) {
	const query = db
		.select({
			id: messageThreads.id,
			contractId: messageThreads.contractId,
			subject: messageThreads.subject,
			status: messageThreads.status,
			createdAt: isoTime(messageThreads.createdAt),
			lastMessageAt: isoTime(participants.lastMessageAt),
			cursorAt: sql<string>`${participants.lastMessageAt}::text`,
			messageCount: messageThreads.messageCount,
			unreadCount: participants.unreadCount,
			lastReadSeq: participants.lastReadSeq,
			lastMessageBody: sql<
				string | null
			>`left(${lastMessage.body}, ${sql.raw(String(PREVIEW_LENGTH))})`,
			lastMessageSenderRole: lastMessage.senderRole,
			lastMessageCreatedAt: isoTimeOrNull(lastMessage.createdAt),
			lastMessageSenderName: lastSender.displayName,
			lastMessageSenderId: lastMessage.senderId,
			counterpartId: counterpartUser.id,
			counterpartName: counterpartUser.displayName,
			providerId: contracts.providerId
		})
		.from(participants)
		.innerJoin(messageThreads, eq(messageThreads.id, participants.threadId))
		.innerJoin(contracts, eq(contracts.id, messageThreads.contractId))
		.innerJoin(
			counterpartUser,
			eq(
				counterpartUser.id,
				sql`case when ${contracts.providerId} = ${viewerId} then ${contracts.requesterId} else ${contracts.providerId} end`
			)
		)
		.leftJoin(lastMessage, eq(lastMessage.id, messageThreads.lastMessageId))
		.leftJoin(lastSender, eq(lastSender.id, lastMessage.senderId))
		.where(and(eq(participants.userId, viewerId), where))
		.$dynamic();
	if (!options.inbox) return query;
	return (
		query
			// Spelled like the index (desc nulls last) so Postgres walks it instead of sorting.
			.orderBy(
				sql`${participants.lastMessageAt} desc nulls last`,
				sql`${participants.threadId} desc nulls last`
			)
			.limit(sql.placeholder('limit'))
	);
}

type ThreadViewRow = Awaited<ReturnType<typeof buildThreadViews>>[number];

function toThreadRow(r: ThreadViewRow, viewer: string): ThreadRow {
	return {
		id: r.id,
		contractId: r.contractId,
		subject: r.subject,
		status: r.status,
		createdAt: r.createdAt,
		lastMessageAt: r.lastMessageAt,
		cursorAt: r.cursorAt,
		lastReadSeq: r.lastReadSeq,
		messageCount: r.messageCount,
		unreadCount: r.unreadCount,
		lastMessage:
			r.lastMessageBody !== null && r.lastMessageSenderRole && r.lastMessageCreatedAt
				? {
						body: r.lastMessageBody,
						senderName: r.lastMessageSenderName ?? null,
						senderRole: r.lastMessageSenderRole,
						createdAt: r.lastMessageCreatedAt,
						isOwn: r.lastMessageSenderId === viewer
					}
				: null,
		counterpart: {
			id: r.counterpartId,
			name: r.counterpartName,
			role: r.providerId === viewer ? 'requester' : 'provider'
		}
	};
}

export function toThreadJson(view: ThreadRow): ThreadJson {
	const { cursorAt: _cursorAt, lastReadSeq: _lastReadSeq, ...thread } = view;
	return thread;
}

const threadViewByContract = preparedPerDb((db) =>
	buildThreadViews(db, eq(messageThreads.contractId, sql.placeholder('contractId'))).prepare(
		'thread_view_by_contract'
	)
);

const threadViewById = preparedPerDb((db) =>
	buildThreadViews(db, eq(messageThreads.id, sql.placeholder('threadId'))).prepare(
		'thread_view_by_id'
	)
);

/**
 * The contract's thread as the actor sees it, with the actor's read watermark; null when there is
 * none or it is not theirs.
 */
export async function getThreadViewForContract(
	db: Db,
	actorId: string,
	contractId: string
): Promise<ThreadRow | null> {
	const [row] = await threadViewByContract(db).execute({ viewerId: actorId, contractId });
	return row ? toThreadRow(row, actorId) : null;
}

/** The contract's thread as the actor sees it; null when there is none or it is not theirs. */
export async function getThreadForContract(
	db: Db,
	actorId: string,
	contractId: string
): Promise<ThreadJson | null> {
	const view = await getThreadViewForContract(db, actorId, contractId);
	return view ? toThreadJson(view) : null;
}

export async function getThreadById(
	db: Db,
	actorId: string,
	threadId: string
): Promise<ThreadJson | null> {
	const [row] = await threadViewById(db).execute({ viewerId: actorId, threadId });
	return row ? toThreadJson(toThreadRow(row, actorId)) : null;
}

/** Either party marks the thread resolved or open again; a closed thread stays closed. */
export async function setThreadStatus(
	db: Db,
	actorId: string,
	contractId: string,
	status: 'open' | 'resolved'
): Promise<ThreadJson | null> {
	const thread = await getThreadForContract(db, actorId, contractId);
	if (!thread) return null;
	const [updated] = await db
		.update(messageThreads)
		.set({ status })
		.where(and(eq(messageThreads.id, thread.id), sql`${messageThreads.status} <> 'closed'`))
		.returning({ id: messageThreads.id });
	if (!updated) throw new ThreadClosedError();
	await recordThreadEvent(db, thread.id, 'thread.updated', { actorId });
	await notifyThreadParticipants(db, thread.id);
	return getThreadForContract(db, actorId, contractId);
}

// Inbox cursors carry Postgres' own text form of the timestamp (microseconds, with offset), so
// keyset comparisons are exact; a JavaScript Date would round to milliseconds and skip rows.
function encodeInboxCursor(at: string, threadId: string): string {
	return Buffer.from(JSON.stringify([at, threadId])).toString('base64url');
}

function decodeInboxCursor(cursor: string): { at: string; threadId: string } {
	try {
		const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
		if (
			Array.isArray(value) &&
			typeof value[0] === 'string' &&
			/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?[+-]\d\d(:\d\d)?$/.test(value[0]) &&
			typeof value[1] === 'string' &&
			/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value[1])
		) {
			return { at: value[0], threadId: value[1] };
		}
	} catch {
		// not base64url JSON: reported below like any other bad cursor
	}
	throw new InvalidCursorError();
}

// One prepared query per combination of the inbox's optional filters.
const inboxQueries = [false, true].map((withCursor) =>
	[false, true].map((unreadOnly) =>
		preparedPerDb((db) =>
			buildThreadViews(
				db,
				and(
					withCursor
						? sql`(${participants.lastMessageAt}, ${participants.threadId}) < (${sql.placeholder('cursorAt')}::timestamptz, ${sql.placeholder('cursorId')}::uuid)`
						: undefined,
					unreadOnly ? sql`${participants.unreadCount} > 0` : undefined
				),
				{ inbox: true }
			).prepare(`inbox_${withCursor ? 'after' : 'first'}_${unreadOnly ? 'unread' : 'all'}`)
		)
	)
);

/** Threads I am in, most recent activity first, by keyset on (last_message_at, thread_id). */
export async function listInbox(
	db: Db,
	viewer: string,
	options: { cursor?: string; limit: number; unreadOnly?: boolean }
): Promise<{ threads: ThreadJson[]; nextCursor: string | null }> {
	const cursor = options.cursor ? decodeInboxCursor(options.cursor) : null;
	const query = inboxQueries[cursor ? 1 : 0]![options.unreadOnly ? 1 : 0]!(db);
	const rows = await query.execute({
		viewerId: viewer,
		limit: options.limit + 1,
		cursorAt: cursor?.at,
		cursorId: cursor?.threadId
	});
	const page = rows.slice(0, options.limit).map((row) => toThreadRow(row, viewer));
	const last = page.at(-1);
	return {
		threads: page.map(toThreadJson),
		nextCursor:
			rows.length > options.limit && last ? encodeInboxCursor(last.cursorAt, last.id) : null
	};
}
