import { and, eq, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { ThreadJson } from '$lib/schemas/messaging';
import type { Db } from '../db';
import { notifyThreadParticipants, recordThreadEvent } from '../live/events';
import {
	contracts,
	messageThreadParticipants as participants,
	messageThreads,
	messages,
	users
} from '../db/schema';

export class ThreadClosedError extends Error {
	constructor() {
		super('This conversation is closed; no new messages can be posted.');
	}
}

export class InvalidCursorError extends Error {
	constructor() {
		super('The cursor is not valid; use nextCursor from a previous page.');
	}
}

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

type ThreadRow = ThreadJson & { cursorAt: string };

/**
 * Thread views as one viewer sees them. Every join is by primary key from the viewer's participant
 * rows, so a page costs O(page size) however many messages the threads hold.
 */
async function selectThreadViews(
	db: Db,
	viewerId: string,
	where: SQL | undefined,
	options: { limit?: number; orderForInbox?: boolean } = {}
): Promise<ThreadRow[]> {
	let query = db
		.select({
			id: messageThreads.id,
			contractId: messageThreads.contractId,
			subject: messageThreads.subject,
			status: messageThreads.status,
			createdAt: messageThreads.createdAt,
			lastMessageAt: participants.lastMessageAt,
			cursorAt: sql<string>`${participants.lastMessageAt}::text`,
			messageCount: messageThreads.messageCount,
			unreadCount: participants.unreadCount,
			lastMessageBody: sql<string | null>`left(${lastMessage.body}, ${PREVIEW_LENGTH})`,
			lastMessageSenderRole: lastMessage.senderRole,
			lastMessageCreatedAt: lastMessage.createdAt,
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
	if (options.orderForInbox) {
		// Spelled like the index (desc nulls last) so Postgres walks it instead of sorting.
		query = query.orderBy(
			sql`${participants.lastMessageAt} desc nulls last`,
			sql`${participants.threadId} desc nulls last`
		);
	}
	if (options.limit) query = query.limit(options.limit);
	const rows = await query;
	return rows.map((r) => ({
		id: r.id,
		contractId: r.contractId,
		subject: r.subject,
		status: r.status,
		createdAt: r.createdAt.toISOString(),
		lastMessageAt: r.lastMessageAt.toISOString(),
		cursorAt: r.cursorAt,
		messageCount: r.messageCount,
		unreadCount: r.unreadCount,
		lastMessage:
			r.lastMessageBody !== null && r.lastMessageSenderRole && r.lastMessageCreatedAt
				? {
						body: r.lastMessageBody,
						senderName: r.lastMessageSenderName ?? null,
						senderRole: r.lastMessageSenderRole,
						createdAt: r.lastMessageCreatedAt.toISOString(),
						isOwn: r.lastMessageSenderId === viewerId
					}
				: null,
		counterpart: {
			id: r.counterpartId,
			name: r.counterpartName,
			role: r.providerId === viewerId ? 'requester' : 'provider'
		}
	}));
}

function withoutCursor(view: ThreadRow): ThreadJson {
	const { cursorAt: _cursorAt, ...thread } = view;
	return thread;
}

/** The contract's thread as the actor sees it; null when there is none or it is not theirs. */
export async function getThreadForContract(
	db: Db,
	actorId: string,
	contractId: string
): Promise<ThreadJson | null> {
	const [view] = await selectThreadViews(db, actorId, eq(messageThreads.contractId, contractId));
	return view ? withoutCursor(view) : null;
}

export async function getThreadById(
	db: Db,
	actorId: string,
	threadId: string
): Promise<ThreadJson | null> {
	const [view] = await selectThreadViews(db, actorId, eq(messageThreads.id, threadId));
	return view ? withoutCursor(view) : null;
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

/** Threads I am in, most recent activity first, by keyset on (last_message_at, thread_id). */
export async function listInbox(
	db: Db,
	viewerId: string,
	options: { cursor?: string; limit: number; unreadOnly?: boolean }
): Promise<{ threads: ThreadJson[]; nextCursor: string | null }> {
	let after: SQL | undefined;
	if (options.cursor) {
		const cursor = decodeInboxCursor(options.cursor);
		after = sql`(${participants.lastMessageAt}, ${participants.threadId}) < (${cursor.at}::timestamptz, ${cursor.threadId}::uuid)`;
	}
	const views = await selectThreadViews(
		db,
		viewerId,
		and(after, options.unreadOnly ? sql`${participants.unreadCount} > 0` : undefined),
		{ limit: options.limit + 1, orderForInbox: true }
	);
	const page = views.slice(0, options.limit);
	const last = page.at(-1);
	return {
		threads: page.map(withoutCursor),
		nextCursor:
			views.length > options.limit && last ? encodeInboxCursor(last.cursorAt, last.id) : null
	};
}
