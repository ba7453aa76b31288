import { sql } from 'drizzle-orm';
import type { Db } from '../db';

export const LIVE_CHANNEL = 'parley_live';

/** What a live_events row says happened; the write functions in SQL record most of them. */
export type LiveKind =
	| 'message.created'
	| 'message.updated'
	| 'message.deleted'
	| 'message.read'
	| 'message.unread'
	| 'thread.updated';

/**
 * Records an event for every participant of the thread, inside the caller's transaction, so the
 * log and the change it describes commit together. Streams read it after a NOTIFY.
 */
export async function recordThreadEvent(
	tx: Db,
	threadId: string,
	kind: LiveKind,
	fields: {
		messageId?: string | null;
		actorId?: string | null;
		seq?: number | null;
		/** Only this participant's streams (a change to their own view of the thread). */
		onlyUserId?: string;
	} = {}
): Promise<void> {
	await tx.execute(sql`
		insert into live_events (user_id, kind, thread_id, message_id, actor_id, seq)
		select p.user_id, ${kind}, p.thread_id, ${fields.messageId ?? null}::uuid,
			${fields.actorId ?? null}::uuid, ${fields.seq ?? null}::int
		from message_thread_participants p
		where p.thread_id = ${threadId}
			${fields.onlyUserId ? sql`and p.user_id = ${fields.onlyUserId}` : sql``}`);
}

/** Tells one user's streams, on every instance, that they have news (after the commit). */
export async function notifyUser(db: Db, userId: string): Promise<void> {
	await db.execute(sql`select pg_notify(${LIVE_CHANNEL}, ${JSON.stringify({ u: [userId] })})`);
}

/**
 * Tells every app instance that the thread's participants have news. Called after the transaction
 * has committed: a NOTIFY inside it would make every commit in the database wait on the notify
 * queue's lock. The payload carries ids only; each stream loads what its user may see.
 */
export async function notifyThreadParticipants(db: Db, threadId: string): Promise<void> {
	await db.execute(sql`
		select pg_notify(${LIVE_CHANNEL}, json_build_object('u', array_agg(user_id))::text)
		from message_thread_participants where thread_id = ${threadId}`);
}

/**
 * Ends the user's open streams on every instance, API tokens' streams too (an operator suspended
 * them). Inside a caller's transaction it is delivered when that commits.
 */
export async function closeUserStreams(db: Db, userId: string): Promise<void> {
	await notifyCloseStreams(db, { u: userId, tokens: true, reason: 'signed-out' });
}

/** Sends a NOTIFY payload that a write function (src/lib/server/db/functions) built for after its commit. */
export async function notifyLive(db: Db, payload: string | null): Promise<void> {
	if (payload) await db.execute(sql`select pg_notify(${LIVE_CHANNEL}, ${payload})`);
}

/** A typing indicator: forwarded to the other participants, never stored. */
export async function notifyTyping(
	db: Db,
	input: {
		threadId: string;
		contractId: string;
		userId: string;
		name: string;
		recipients: string[];
	}
): Promise<void> {
	const payload = JSON.stringify({
		u: input.recipients,
		typing: {
			threadId: input.threadId,
			contractId: input.contractId,
			userId: input.userId,
			name: input.name
		}
	});
	await db.execute(sql`select pg_notify(${LIVE_CHANNEL}, ${payload})`);
}

/** Which streams a `close` notification ends; every instance closes its own. */
export interface CloseStreams {
	/** The user whose streams end. */
	u: string;
	/** Only the streams opened with these sessions (logout); otherwise all of the user's sessions'. */
	sessions?: string[];
	/** Keeps the streams of this session (a password change signs out the other sessions). */
	except?: string;
	/** API tokens' streams end too (suspension). */
	tokens?: boolean;
	/** Only these streams, by id (the oldest past the per-user limit). */
	streams?: string[];
	reason: 'signed-out' | 'too-many-streams';
}

/** Tells every instance to close some of a user's live streams (after the change committed). */
export async function notifyCloseStreams(db: Db, close: CloseStreams): Promise<void> {
	await db.execute(sql`select pg_notify(${LIVE_CHANNEL}, ${JSON.stringify({ close })})`);
}

/** Longest text a live assistant placeholder carries (a NOTIFY payload holds 8000 bytes). */
export const ASSISTANT_LIVE_MAX_CHARS = 1500;

/**
 * A reply the assistant is writing, as it grows: forwarded to both parties, never stored (the
 * final text is stored once, as a message). `done` ends the placeholder: the message arrives the
 * usual way, or nothing does (stopped, failed, handed off).
 */
export async function notifyAssistantWriting(
	db: Db,
	input: {
		threadId: string;
		contractId: string;
		label: string;
		text: string;
		done: boolean;
		recipients: string[];
	}
): Promise<void> {
	const text =
		input.text.length > ASSISTANT_LIVE_MAX_CHARS
			? `${input.text.slice(0, ASSISTANT_LIVE_MAX_CHARS)}…`
			: input.text;
	const payload = JSON.stringify({
		u: input.recipients,
		assistant: {
			threadId: input.threadId,
			contractId: input.contractId,
			label: input.label,
			text,
			done: input.done
		}
	});
	await db.execute(sql`select pg_notify(${LIVE_CHANNEL}, ${payload})`);
}
