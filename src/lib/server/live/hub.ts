import { and, asc, eq, gt, inArray, isNull, lt, max, or, sql } from 'drizzle-orm';
import { rowsOf, type Database, type Db } from '../db';
import { getConfig } from '../config';
import { apiTokens, liveEvents, liveStreams, sessions } from '../db/schema';
import { getMessageForViewer, getThreadById, getUnreadCount } from '../messaging';
import { LIVE_CHANNEL, notifyCloseStreams, type CloseStreams } from './events';

/** Past this many missed events a reconnecting client is told to reload instead of replaying. */
export const REPLAY_LIMIT = 200;
const HEARTBEAT_MS = 25_000;
const RETRY_MS = 3_000;
const RETENTION_MINUTES = 60;
const PRUNE_EVERY_MS = 10 * 60_000;
/** How often open streams check that their session (or API token) still holds. */
export const RECHECK_MS = 30_000;
/** A registered stream not refreshed for this long belongs to an instance that is gone. */
const STREAM_STALE_SECONDS = 120;

/** What a stream was opened with: it lives only as long as that does. */
export interface StreamCredential {
	sessionId: string | null;
	tokenId: string | null;
}

const encoder = new TextEncoder();

/** Events about one message: each is sent with the message as the user sees it now. */
const MESSAGE_KINDS = new Set(['message.created', 'message.updated', 'message.deleted']);

function frame(event: string, data: unknown, id?: number): string {
	return `${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** One open SSE connection of one user. */
class LiveStream {
	private lastId = 0;
	private lastUnread: number | null = null;
	private pulling: Promise<void> | null = null;
	private again = false;
	private heartbeat: ReturnType<typeof setInterval> | null = null;
	// Until start() has its position, a notification must not pull from the beginning; start()
	// pulls everything after that position itself.
	private started = false;
	closed = false;

	readonly id = crypto.randomUUID();

	constructor(
		readonly userId: string,
		readonly credential: StreamCredential,
		private readonly db: Db,
		private readonly controller: ReadableStreamDefaultController<Uint8Array>
	) {}

	write(text: string) {
		if (this.closed) return;
		try {
			this.controller.enqueue(encoder.encode(text));
		} catch {
			this.closed = true;
		}
	}

	async start(lastEventId: number | null) {
		this.write(`retry: ${RETRY_MS}\n\n`);
		this.heartbeat = setInterval(() => this.write(': ping\n\n'), HEARTBEAT_MS);
		this.heartbeat.unref?.();
		if (lastEventId !== null) {
			this.lastId = lastEventId;
			// Events pruned since then cannot be replayed: the client reloads instead.
			const [kept] = await this.db
				.select({ id: liveEvents.id })
				.from(liveEvents)
				.where(and(eq(liveEvents.userId, this.userId), eq(liveEvents.id, lastEventId)));
			if (!kept) await this.resync();
		} else {
			const [latest] = await this.db
				.select({ id: max(liveEvents.id) })
				.from(liveEvents)
				.where(eq(liveEvents.userId, this.userId));
			this.lastId = latest?.id ?? 0;
		}
		this.started = true;
		await this.pull();
	}

	private async resync() {
		const [latest] = await this.db
			.select({ id: max(liveEvents.id) })
			.from(liveEvents)
			.where(eq(liveEvents.userId, this.userId));
		this.lastId = latest?.id ?? this.lastId;
		this.write(
			frame(
				'resync',
				{ reason: 'Too much was missed; reload your data.' },
				this.lastId || undefined
			)
		);
	}

	/** Sends this user's events after the last one sent; concurrent calls coalesce into one more. */
	pull(): Promise<void> {
		if (this.pulling) {
			this.again = true;
			return this.pulling;
		}
		this.pulling = (async () => {
			do {
				this.again = false;
				await this.pullOnce();
			} while (this.again && !this.closed);
		})().finally(() => {
			this.pulling = null;
		});
		return this.pulling;
	}

	private async pullOnce() {
		if (this.closed || !this.started) return;
		const events = await this.db
			.select()
			.from(liveEvents)
			.where(and(eq(liveEvents.userId, this.userId), gt(liveEvents.id, this.lastId)))
			.orderBy(asc(liveEvents.id))
			.limit(REPLAY_LIMIT + 1);
		if (events.length > REPLAY_LIMIT) {
			await this.resync();
		} else {
			for (const event of events) {
				await this.send(event);
				this.lastId = event.id;
			}
		}
		const unread = await getUnreadCount(this.db, this.userId);
		if (unread !== this.lastUnread) {
			this.lastUnread = unread;
			this.write(frame('unread.changed', { count: unread }));
		}
	}

	private async send(event: typeof liveEvents.$inferSelect) {
		if (MESSAGE_KINDS.has(event.kind) && event.messageId) {
			// The message as it is now (edited text, or the deleted placeholder), and its thread.
			const message = await getMessageForViewer(this.db, this.userId, event.messageId);
			if (message) this.write(frame(event.kind, message, event.id));
			const thread = await getThreadById(this.db, this.userId, event.threadId);
			if (thread) this.write(frame('thread.updated', thread));
		} else if (event.kind === 'message.unread') {
			this.write(
				frame(
					'message.unread',
					{ threadId: event.threadId, readerId: event.actorId, fromSeq: event.seq },
					event.id
				)
			);
		} else if (event.kind === 'message.read') {
			this.write(
				frame(
					'message.read',
					{ threadId: event.threadId, readerId: event.actorId, upToSeq: event.seq },
					event.id
				)
			);
		} else if (event.kind === 'thread.updated') {
			const thread = await getThreadById(this.db, this.userId, event.threadId);
			if (thread) this.write(frame('thread.updated', thread, event.id));
		}
	}

	/** Resolves when no update is being sent. */
	async settled(): Promise<void> {
		while (this.pulling) await this.pulling.catch(() => {});
	}

	typing(data: unknown) {
		this.write(frame('typing', data));
	}

	/** An assistant reply being written (a placeholder), see notifyAssistantWriting. */
	assistant(data: unknown) {
		this.write(frame('assistant', data));
	}

	close() {
		this.closed = true;
		if (this.heartbeat) clearInterval(this.heartbeat);
	}

	/** Ends the response: a last event says why, and the client does not reconnect on its own. */
	end(reason: CloseStreams['reason']) {
		if (this.closed) return;
		this.write(frame(reason, { reason }));
		this.close();
		try {
			this.controller.close();
		} catch {
			// already closed by the client
		}
	}
}

/** Whether a `close` notification applies to this stream. */
function closes(close: CloseStreams, stream: LiveStream): boolean {
	if (close.streams) return close.streams.includes(stream.id);
	const { sessionId, tokenId } = stream.credential;
	if (sessionId) {
		if (close.sessions) return close.sessions.includes(sessionId);
		return sessionId !== close.except;
	}
	if (tokenId) return !!close.tokens;
	// A stream opened without a credential of its own (a caller that authenticated it otherwise)
	// ends when the user is signed out everywhere, tokens included (suspension).
	return !!close.tokens && !close.sessions && !close.except;
}

/**
 * The process's side of live updates: one LISTEN connection, and the open streams by user.
 * Nothing here is needed by another instance: every instance listens to the same channel and
 * reads the same event log, so a user's streams may sit on any instance.
 */
export class LiveHub {
	private readonly streams = new Map<string, Set<LiveStream>>();
	private listening: Promise<() => Promise<void>> | null = null;
	private pruneTimer: ReturnType<typeof setInterval> | null = null;
	private recheckTimer: ReturnType<typeof setInterval> | null = null;
	private readonly recheckMs: number;
	private readonly maxStreamsPerUser: number;

	constructor(
		private readonly database: Database,
		options: { recheckMs?: number; maxStreamsPerUser?: number } = {}
	) {
		this.recheckMs = options.recheckMs ?? RECHECK_MS;
		this.maxStreamsPerUser = options.maxStreamsPerUser ?? getConfig().limits.liveStreamsPerUser;
	}

	/** Open streams, for tests and metrics. */
	get size(): number {
		let n = 0;
		for (const set of this.streams.values()) n += set.size;
		return n;
	}

	get users(): number {
		return this.streams.size;
	}

	private ensureListening() {
		this.listening ??= this.database.listen(
			LIVE_CHANNEL,
			(payload) => this.onNotify(payload),
			// After a reconnect of the listen connection, catch up on whatever was missed.
			() => this.resyncAll()
		);
		if (!this.pruneTimer) {
			this.pruneTimer = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
			this.pruneTimer.unref?.();
		}
		if (!this.recheckTimer) {
			this.recheckTimer = setInterval(() => {
				this.recheck().catch((err) => console.error('Live stream re-check failed:', err));
			}, this.recheckMs);
			this.recheckTimer.unref?.();
		}
		return this.listening;
	}

	private onNotify(payload: string) {
		let parsed: { u?: unknown; typing?: unknown; assistant?: unknown; close?: CloseStreams };
		try {
			parsed = JSON.parse(payload);
		} catch {
			return;
		}
		if (parsed.close && typeof parsed.close.u === 'string') {
			for (const stream of this.streams.get(parsed.close.u) ?? []) {
				if (closes(parsed.close, stream)) this.end(stream, parsed.close.reason);
			}
			return;
		}
		if (!Array.isArray(parsed.u)) return;
		for (const userId of parsed.u) {
			const set = typeof userId === 'string' ? this.streams.get(userId) : undefined;
			if (!set) continue;
			for (const stream of set) {
				if (parsed.typing) stream.typing(parsed.typing);
				else if (parsed.assistant) stream.assistant(parsed.assistant);
				else
					stream.pull().catch((err) => {
						if (!stream.closed) console.error('Live stream update failed:', err);
					});
			}
		}
	}

	private resyncAll() {
		for (const set of this.streams.values()) {
			for (const stream of set) stream.pull().catch(() => {});
		}
	}

	private end(stream: LiveStream, reason: CloseStreams['reason']) {
		stream.end(reason);
		this.forget(stream);
	}

	private forget(stream: LiveStream) {
		const set = this.streams.get(stream.userId);
		set?.delete(stream);
		if (set && set.size === 0) this.streams.delete(stream.userId);
		this.database.db
			.delete(liveStreams)
			.where(eq(liveStreams.id, stream.id))
			.catch(() => {});
	}

	/**
	 * Registers a new stream where every instance counts them, and closes the user's oldest streams
	 * past the limit, wherever they are.
	 */
	private async register(stream: LiveStream) {
		const db = this.database.db;
		await db.insert(liveStreams).values({ id: stream.id, userId: stream.userId });
		// Closed while it registered: its row goes with it.
		if (stream.closed) {
			await db.delete(liveStreams).where(eq(liveStreams.id, stream.id));
			return;
		}
		const surplus = await db.execute(sql`
			delete from live_streams where id in (
				select id from live_streams
				where user_id = ${stream.userId}
					and seen_at > now() - make_interval(secs => ${STREAM_STALE_SECONDS})
				order by opened_at desc, id desc
				offset ${this.maxStreamsPerUser})
			returning id`);
		const ids = rowsOf<{ id: string }>(surplus).map((row) => row.id);
		if (ids.length > 0) {
			await notifyCloseStreams(db, { u: stream.userId, streams: ids, reason: 'too-many-streams' });
		}
	}

	/**
	 * Ends the streams whose session has expired or been deleted, or whose API token was revoked or
	 * has expired, in one query per kind for all the streams of this instance. A missed `close`
	 * notification (the listen connection was down) is caught here within `recheckMs`.
	 */
	async recheck() {
		const open = [...this.streams.values()].flatMap((set) => [...set]);
		const sessionIds = [...new Set(open.flatMap((s) => s.credential.sessionId ?? []))];
		const tokenIds = [...new Set(open.flatMap((s) => s.credential.tokenId ?? []))];
		const db = this.database.db;
		const [liveSessions, liveTokens] = await Promise.all([
			sessionIds.length
				? db
						.select({ id: sessions.id })
						.from(sessions)
						.where(and(inArray(sessions.id, sessionIds), gt(sessions.expiresAt, sql`now()`)))
				: [],
			tokenIds.length
				? db
						.select({ id: apiTokens.id })
						.from(apiTokens)
						.where(
							and(
								inArray(apiTokens.id, tokenIds),
								isNull(apiTokens.revokedAt),
								or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, sql`now()`))
							)
						)
				: []
		]);
		const valid = new Set([...liveSessions, ...liveTokens].map((row) => row.id));
		for (const stream of open) {
			const { sessionId, tokenId } = stream.credential;
			const id = sessionId ?? tokenId;
			if (id && !valid.has(id)) this.end(stream, 'signed-out');
		}
		// The streams still open here keep counting towards their users' limits.
		const kept = open.filter((stream) => !stream.closed).map((stream) => stream.id);
		if (kept.length > 0) {
			await db
				.update(liveStreams)
				.set({ seenAt: sql`now()` })
				.where(inArray(liveStreams.id, kept));
		}
	}

	async prune() {
		await this.database.db
			.delete(liveEvents)
			.where(lt(liveEvents.createdAt, sql`now() - make_interval(mins => ${RETENTION_MINUTES})`))
			.catch(() => {});
		await this.database.db
			.delete(liveStreams)
			.where(lt(liveStreams.seenAt, sql`now() - make_interval(secs => ${STREAM_STALE_SECONDS})`))
			.catch(() => {});
	}

	/** An SSE response for the user; `lastEventId` from the Last-Event-ID header resumes a stream. */
	async open(
		userId: string,
		lastEventId: number | null,
		signal?: AbortSignal,
		credential: StreamCredential = { sessionId: null, tokenId: null }
	): Promise<Response> {
		await this.ensureListening();
		let stream: LiveStream;
		const remove = () => {
			stream.close();
			this.forget(stream);
		};
		const body = new ReadableStream<Uint8Array>({
			start: (controller) => {
				stream = new LiveStream(userId, credential, this.database.db, controller);
				let set = this.streams.get(userId);
				if (!set) this.streams.set(userId, (set = new Set()));
				set.add(stream);
				signal?.addEventListener('abort', remove, { once: true });
				// start() takes its position first (its first query goes out before any other),
				// so nothing written after the stream opened is missed.
				stream.start(lastEventId).catch((err) => {
					if (!stream.closed) console.error('Live stream start failed:', err);
				});
				this.register(stream).catch((err) => {
					if (!stream.closed) console.error('Live stream registration failed:', err);
				});
			},
			cancel: remove
		});
		return new Response(body, {
			headers: {
				'content-type': 'text/event-stream; charset=utf-8',
				'cache-control': 'no-store, no-transform',
				connection: 'keep-alive',
				'x-accel-buffering': 'no'
			}
		});
	}

	async close() {
		const open = [...this.streams.values()].flatMap((set) => [...set]);
		for (const stream of open) stream.close();
		// Let queries already under way finish before the caller closes the database.
		await Promise.allSettled(open.map((stream) => stream.settled()));
		this.streams.clear();
		if (open.length > 0) {
			await this.database.db
				.delete(liveStreams)
				.where(
					inArray(
						liveStreams.id,
						open.map((stream) => stream.id)
					)
				)
				.catch(() => {});
		}
		if (this.pruneTimer) clearInterval(this.pruneTimer);
		if (this.recheckTimer) clearInterval(this.recheckTimer);
		this.pruneTimer = this.recheckTimer = null;
		const unlisten = await this.listening;
		await unlisten?.();
		this.listening = null;
	}
}

const GLOBAL_KEY = Symbol.for('parley.live-hub');

/** The app's hub, one per process, over the app's database. */
export function appLiveHub(database: Database): LiveHub {
	const holder = globalThis as typeof globalThis & { [GLOBAL_KEY]?: LiveHub };
	holder[GLOBAL_KEY] ??= new LiveHub(database);
	return holder[GLOBAL_KEY];
}
