import { and, desc, eq, lt, sql, type SQL } from 'drizzle-orm';
import type { MessageJson, ThreadJson } from '$lib/schemas/messaging';
import type { Db } from '../db';
import {
	contracts,
	messageNotifications,
	messageReadReceipts as receipts,
	messageThreadParticipants as participants,
	messageThreads,
	messages,
	users
} from '../db/schema';
import { notifyThreadParticipants, recordThreadEvent } from '../live/events';
import { markReadUpTo } from './read-state';
import {
	ThreadClosedError,
	findContractForParty,
	getOrCreateThread,
	getThreadForContract,
	type ContractParties
} from './threads';

type SenderRole = 'user' | 'assistant' | 'system';

interface AppendInput {
	senderId: string | null;
	senderRole: SenderRole;
	body: string;
	/** When the message was written; defaults to now. Seeding and imports pass history. */
	at?: Date;
}

/**
 * Appends one message to a thread: the only place that writes messages. In one transaction it
 * takes the next per-thread sequence number under the thread's row lock, counts the message as
 * unread for every participant, marks everything up to it read for a human sender, and queues
 * one email notification per human recipient (never for system messages).
 */
async function appendMessage(tx: Db, threadId: string, input: AppendInput) {
	const [thread] = await tx
		.select({ status: messageThreads.status, lastSeq: messageThreads.lastSeq })
		.from(messageThreads)
		.where(eq(messageThreads.id, threadId))
		.for('update');
	if (!thread) throw new Error(`thread ${threadId} vanished`);
	if (thread.status === 'closed' && input.senderRole !== 'system') throw new ThreadClosedError();

	const seq = thread.lastSeq + 1;
	const [message] = await tx
		.insert(messages)
		.values({
			threadId,
			seq,
			senderId: input.senderId,
			senderRole: input.senderRole,
			body: input.body,
			...(input.at ? { createdAt: input.at } : {})
		})
		.returning();
	const createdAt = message!.createdAt;

	await tx
		.update(messageThreads)
		.set({
			lastSeq: seq,
			messageCount: sql`${messageThreads.messageCount} + 1`,
			lastMessageAt: createdAt,
			lastMessageId: message!.id,
			// A new human or assistant message reopens a resolved conversation.
			...(input.senderRole === 'system'
				? {}
				: {
						status: sql`case when ${messageThreads.status} = 'resolved' then 'open' else ${messageThreads.status} end`
					})
		})
		.where(eq(messageThreads.id, threadId));

	await tx
		.update(participants)
		.set({
			unreadCount: sql`${participants.unreadCount} + 1`,
			lastMessageAt: createdAt
		})
		.where(eq(participants.threadId, threadId));

	await recordThreadEvent(tx, threadId, 'message.created', { messageId: message!.id, seq });

	if (input.senderId) {
		// My own message is never unread for me, and sending means I have seen what came before.
		await markReadUpTo(tx, threadId, input.senderId, seq);
	}

	if (input.senderRole !== 'system') {
		await tx.execute(sql`
			insert into ${messageNotifications} (message_id, recipient_id, thread_id, created_at)
			select ${message!.id}::uuid, p.user_id, p.thread_id, ${createdAt.toISOString()}::timestamptz
			from ${participants} p
			where p.thread_id = ${threadId}
				and p.role in ('requester', 'provider')
				and p.user_id is distinct from ${input.senderId}::uuid`);
	}
	return message!;
}

/** Posts a message as a party of the contract, creating the thread if needed. Null if not a party. */
export async function sendMessage(
	db: Db,
	senderId: string,
	contractId: string,
	body: string,
	options: {
		at?: Date;
		/** The contract as the caller already found it for this sender: saves looking it up again. */
		contract?: ContractParties;
	} = {}
): Promise<MessageJson | null> {
	const contract =
		options.contract?.id === contractId
			? options.contract
			: await findContractForParty(db, senderId, contractId);
	if (!contract) return null;
	const message = await db.transaction(async (tx) => {
		const threadId = await getOrCreateThread(tx, contract);
		return appendMessage(tx, threadId, { senderId, senderRole: 'user', body, at: options.at });
	});
	await notifyThreadParticipants(db, message.threadId);
	const [sender] = await db
		.select({ name: users.displayName })
		.from(users)
		.where(eq(users.id, senderId));
	return {
		id: message.id,
		threadId: message.threadId,
		contractId,
		senderId,
		senderName: sender?.name ?? null,
		senderRole: 'user',
		body: message.body,
		createdAt: message.createdAt.toISOString(),
		isOwn: true,
		isRead: true,
		readByCounterpartAt: null
	};
}

/** A status line in the thread ("Paul Provider accepted the rental"), inside the caller's transaction. */
/** Returns the thread id so the caller can notify its participants once it has committed. */
export async function postSystemMessage(
	tx: Db,
	contract: ContractParties,
	body: string,
	options: { at?: Date } = {}
): Promise<string> {
	const threadId = await getOrCreateThread(tx, contract);
	await appendMessage(tx, threadId, { senderId: null, senderRole: 'system', body, at: options.at });
	return threadId;
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
	const contract = await findContractForParty(db, viewerId, contractId);
	if (!contract) return null;
	const thread = await getThreadForContract(db, viewerId, contractId);
	if (!thread) return { thread: null, messages: [], nextCursor: null };

	const counterpartId =
		viewerId === contract.providerId ? contract.requesterId : contract.providerId;
	const [viewer] = await db
		.select({ lastReadSeq: participants.lastReadSeq })
		.from(participants)
		.where(and(eq(participants.threadId, thread.id), eq(participants.userId, viewerId)));

	const rows = await selectMessageRows(
		db,
		thread.id,
		counterpartId,
		options.before ? lt(messages.seq, options.before) : undefined,
		options.limit + 1
	);
	const page = rows.slice(0, options.limit).reverse();
	const context = { viewerId, contractId, lastReadSeq: viewer?.lastReadSeq ?? 0 };
	return {
		thread,
		messages: page.map((row) => toMessageJson(row, context)),
		nextCursor: rows.length > options.limit && page[0] ? String(page[0].seq) : null
	};
}

/** Messages of a thread, newest first, with the counterpart's receipt for "Seen". */
function selectMessageRows(
	db: Db,
	threadId: string,
	counterpartId: string,
	where: SQL | undefined,
	limit: number
) {
	return db
		.select({
			id: messages.id,
			threadId: messages.threadId,
			seq: messages.seq,
			senderId: messages.senderId,
			senderName: users.displayName,
			senderRole: messages.senderRole,
			body: messages.body,
			createdAt: messages.createdAt,
			readByCounterpartAt: receipts.readAt
		})
		.from(messages)
		.leftJoin(users, eq(users.id, messages.senderId))
		.leftJoin(
			receipts,
			and(eq(receipts.messageId, messages.id), eq(receipts.readerId, counterpartId))
		)
		.where(and(eq(messages.threadId, threadId), where))
		.orderBy(desc(messages.seq))
		.limit(limit);
}

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
		createdAt: row.createdAt.toISOString(),
		isOwn: row.senderId === context.viewerId,
		isRead: row.seq <= context.lastReadSeq,
		readByCounterpartAt: row.readByCounterpartAt ? row.readByCounterpartAt.toISOString() : null
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
	const [row] = await selectMessageRows(
		db,
		found.threadId,
		counterpartId,
		eq(messages.id, messageId),
		1
	);
	return row
		? toMessageJson(row, { viewerId, contractId: found.contractId, lastReadSeq: found.lastReadSeq })
		: null;
}
