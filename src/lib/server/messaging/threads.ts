import { and, eq, lt, sql } from 'drizzle-orm';
import type { MessageJson, ThreadJson } from '$lib/schemas/messaging';
import type { Db } from '../db';
import { preparedPerDb } from '../db/prepared';
import { notifyThreadParticipants, notifyUser, recordThreadEvent } from '../live/events';
import {
	contracts,
	messageThreadParticipants as participants,
	messageThreads,
	messages
} from '../db/schema';
import { ThreadClosedError } from './errors';
import { counterpartOf, findContractForParty } from './parties';
import {
	buildThreadViews,
	selectMessageRows,
	toMessageJson,
	toThreadJson,
	toThreadRow,
	type ThreadRow
} from './views';

// A conversation as a party sees it: the thread, its pages of messages, one message.

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

/**
 * The viewer's own view of the thread: archived (out of the inbox until the next message) or
 * muted (no email, not in the badge). Null when there is no thread or it is not theirs.
 */
export async function setThreadPreference(
	db: Db,
	actorId: string,
	contractId: string,
	change: { archived: boolean } | { muted: boolean }
): Promise<ThreadJson | null> {
	const [updated] = await db
		.update(participants)
		.set(
			'archived' in change
				? { archivedAt: change.archived ? sql`now()` : null }
				: { muted: change.muted }
		)
		.where(
			and(
				eq(participants.userId, actorId),
				sql`${participants.threadId} = (select id from ${messageThreads} where ${messageThreads.contractId} = ${contractId})`
			)
		)
		.returning({ threadId: participants.threadId });
	if (!updated) return null;
	await recordThreadEvent(db, updated.threadId, 'thread.updated', {
		actorId,
		onlyUserId: actorId
	});
	await notifyUser(db, actorId);
	return getThreadForContract(db, actorId, contractId);
}

export interface MessagePage {
	thread: ThreadJson | null;
	messages: MessageJson[];
	nextCursor: string | null;
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
	const viewer = { viewerId, contractId, lastReadSeq: view.lastReadSeq };
	return {
		thread,
		messages: page.map((row) => toMessageJson(row, viewer)),
		nextCursor: rows.length > options.limit && page[0] ? String(page[0].seq) : null
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
			title: contracts.title,
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
	const [row] = await messageById(db).execute({
		threadId: found.threadId,
		counterpartId: counterpartOf({ ...found, id: found.contractId }, viewerId),
		messageId,
		limit: 1
	});
	return row
		? toMessageJson(row, { viewerId, contractId: found.contractId, lastReadSeq: found.lastReadSeq })
		: null;
}
