import { and, asc, eq, gt, lt, max, sql } from 'drizzle-orm';
import type { Database, Db } from '../db';
import { liveEvents } from '../db/schema';
import { getMessageForViewer, getThreadById, getUnreadCount } from '../messaging';
import { LIVE_CHANNEL } from './events';

/** Past this many missed events a reconnecting client is told to reload instead of replaying. */
export const REPLAY_LIMIT = 200;
const HEARTBEAT_MS = 25_000;
const RETRY_MS = 3_000;
const RETENTION_MINUTES = 60;
const PRUNE_EVERY_MS = 10 * 60_000;

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
	closed = false;

	constructor(
		readonly userId: string,
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
		if (this.closed) return;
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

	/** Ends the response (the user was signed out everywhere): the client sees the stream close. */
	end() {
		this.close();
		try {
			this.controller.close();
		} catch {
			// Already closed by the client.
		}
	}
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

	constructor(private readonly database: Database) {}

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
		return this.listening;
	}

	private onNotify(payload: string) {
		let parsed: { u?: unknown; typing?: unknown; assistant?: unknown; close?: unknown };
		try {
			parsed = JSON.parse(payload);
		} catch {
			return;
		}
		if (!Array.isArray(parsed.u)) return;
		for (const userId of parsed.u) {
			const set = typeof userId === 'string' ? this.streams.get(userId) : undefined;
			if (!set) continue;
			if (parsed.close === true) {
				for (const stream of set) stream.end();
				this.streams.delete(userId as string);
				continue;
			}
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

	async prune() {
		await this.database.db
			.delete(liveEvents)
			.where(lt(liveEvents.createdAt, sql`now() - make_interval(mins => ${RETENTION_MINUTES})`))
			.catch(() => {});
	}

	/** An SSE response for the user; `lastEventId` from the Last-Event-ID header resumes a stream. */
	async open(userId: string, lastEventId: number | null, signal?: AbortSignal): Promise<Response> {
		await this.ensureListening();
		let stream: LiveStream;
		const remove = () => {
			stream.close();
			const set = this.streams.get(userId);
			set?.delete(stream);
			if (set && set.size === 0) this.streams.delete(userId);
		};
		const body = new ReadableStream<Uint8Array>({
			start: (controller) => {
				stream = new LiveStream(userId, this.database.db, controller);
				let set = this.streams.get(userId);
				if (!set) this.streams.set(userId, (set = new Set()));
				set.add(stream);
				signal?.addEventListener('abort', remove, { once: true });
				stream.start(lastEventId).catch((err) => {
					if (!stream.closed) console.error('Live stream start failed:', err);
				});
			},
			cancel: remove
		});
		return new Response(body, {
			headers: {
				'content-type': 'text/event-stream; charset=utf-8',
				'cache-control': 'no-cache, no-transform',
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
		if (this.pruneTimer) clearInterval(this.pruneTimer);
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
