import { and, eq, gt, lt, lte, sql } from 'drizzle-orm';
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
		viewerId,
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

/** A page that can also have newer messages after it: opened at a message, or paging forwards. */
export interface MessageWindow extends MessagePage {
	/** Pages to newer messages (pass it as `after`); null when the page ends with the newest. */
	newerCursor: string | null;
}

// Sequence numbers have no gaps (a deleted message keeps its number), so "the n messages after
// seq s" is the range s+1 .. s+n, which the newest-first query serves too.
const messagesBetween = preparedPerDb((db) =>
	selectMessageRows(
		db,
		and(gt(messages.seq, sql.placeholder('after')), lte(messages.seq, sql.placeholder('upTo')))
	).prepare('messages_between')
);
const messageSeqInThread = preparedPerDb((db) =>
	db
		.select({ seq: messages.seq })
		.from(messages)
		.where(
			and(
				eq(messages.threadId, sql.placeholder('threadId')),
				eq(messages.id, sql.placeholder('messageId'))
			)
		)
		.prepare('message_seq_in_thread')
);

/**
 * The messages numbered `after - older + 1` .. `after + newer`, oldest first, with cursors both
 * ways: one more on each side is read to tell whether there is more beyond.
 */
async function windowFrom(
	db: Db,
	view: ThreadRow,
	viewerId: string,
	after: number,
	count: { older: number; newer: number }
): Promise<MessageWindow> {
	const thread = toThreadJson(view);
	const first = after - count.older + 1;
	const last = after + count.newer;
	const rows = await messagesBetween(db).execute({
		threadId: thread.id,
		viewerId,
		counterpartId: thread.counterpart.id,
		after: Math.max(0, first - 2),
		upTo: last + 1,
		limit: count.older + count.newer + 2
	});
	const oldestFirst = rows.reverse();
	const page = oldestFirst.filter((row) => row.seq >= first && row.seq <= last);
	const viewer = { viewerId, contractId: thread.contractId, lastReadSeq: view.lastReadSeq };
	return {
		thread,
		messages: page.map((row) => toMessageJson(row, viewer)),
		nextCursor: oldestFirst.some((row) => row.seq < first) && page[0] ? String(page[0].seq) : null,
		newerCursor:
			oldestFirst.some((row) => row.seq > last) && page.length ? String(page.at(-1)!.seq) : null
	};
}

/**
 * The page of the contract's conversation around one message (about half older, half newer,
 * the message included), oldest first, with cursors both ways: a search result opens the
 * conversation there, however far back it is. Null when the actor is not a party or the message
 * is not in this conversation.
 */
export async function listMessagesAround(
	db: Db,
	viewerId: string,
	contractId: string,
	messageId: string,
	options: { limit: number }
): Promise<MessageWindow | null> {
	const view = await getThreadViewForContract(db, viewerId, contractId);
	if (!view) return null;
	const [target] = await messageSeqInThread(db).execute({ threadId: view.id, messageId });
	if (!target) return null;
	const older = Math.floor((options.limit - 1) / 2);
	return windowFrom(db, view, viewerId, target.seq - 1, {
		older,
		newer: options.limit - older
	});
}

/**
 * The messages after cursor `after` (a newerCursor), oldest first, with cursors both ways; the
 * "Load newer" of a conversation opened in the past. Null when the actor is not a party.
 */
export async function listMessagesAfter(
	db: Db,
	viewerId: string,
	contractId: string,
	options: { after: number; limit: number }
): Promise<MessageWindow | null> {
	const view = await getThreadViewForContract(db, viewerId, contractId);
	if (!view) {
		const contract = await findContractForParty(db, viewerId, contractId);
		return contract ? { thread: null, messages: [], nextCursor: null, newerCursor: null } : null;
	}
	return windowFrom(db, view, viewerId, options.after, { older: 0, newer: options.limit });
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
		viewerId,
		counterpartId: counterpartOf({ ...found, id: found.contractId }, viewerId),
		messageId,
		limit: 1
	});
	return row
		? toMessageJson(row, { viewerId, contractId: found.contractId, lastReadSeq: found.lastReadSeq })
		: null;
}
