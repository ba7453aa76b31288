import { afterEach, describe, expect, it } from 'vitest';
import { transitionContract } from '../src/lib/server/contracts';
import { openStream } from '../src/lib/server/http/messaging-api';
import { LiveHub, REPLAY_LIMIT } from '../src/lib/server/live/hub';
import { send } from './helpers/messaging';
import { markThreadRead } from '../src/lib/server/messaging/read-state';
import type { SessionUser } from '../src/lib/server/auth';
import { useTestDatabase } from './helpers/db';
import { apiEvent, makeWorld } from './helpers/fixtures';
import { readSse } from './helpers/sse';

const t = useTestDatabase();
// Registered after the database's hooks, so it runs first: hubs stop before their database does.
const hubs: LiveHub[] = [];
afterEach(async () => {
	await Promise.all(hubs.splice(0).map((hub) => hub.close()));
});
function newHub(options?: ConstructorParameters<typeof LiveHub>[1]) {
	const hub = new LiveHub(t.database, options);
	hubs.push(hub);
	return hub;
}

async function connect(hub: LiveHub, user: SessionUser | null, lastEventId?: string) {
	const response = await openStream(
		t.db,
		hub,
		apiEvent(user, { headers: lastEventId ? { 'last-event-id': lastEventId } : {} })
	);
	return { response, stream: response.status === 200 ? readSse(response) : null };
}

describe('the live stream', () => {
	it('answers 401 without a session', async () => {
		const hub = newHub();
		const { response } = await connect(hub, null);
		expect(response.status).toBe(401);
		await hub.close();
	});

	it('delivers new messages, reads, unread counts and status changes to the parties only', async () => {
		const hub = newHub();
		const { requester, provider, stranger, contract } = await makeWorld(t.db);
		const p = (await connect(hub, provider)).stream!;
		const r = (await connect(hub, requester)).stream!;
		const s = (await connect(hub, stranger)).stream!;
		expect(p.events).toBeDefined();
		await p.waitFor((e) => e.some((x) => x.event === 'unread.changed'));

		const message = (await send(t.db, requester.id, contract.id, 'Live hello'))!;
		await p.waitFor((e) => e.some((x) => x.event === 'message.created'));
		const created = p.events.find((x) => x.event === 'message.created')!;
		expect(created.id).toMatch(/^\d+$/);
		expect(created.data).toMatchObject({
			id: message.id,
			body: 'Live hello',
			isOwn: false,
			isRead: false
		});
		await p.waitFor((e) =>
			e.some((x) => x.event === 'unread.changed' && (x.data as { count: number }).count === 1)
		);
		await p.waitFor((e) => e.some((x) => x.event === 'thread.updated'));

		await markThreadRead(t.db, provider.id, contract.id);
		// (The sender's own send also counts as reading, so look for the provider's read.)
		const providerRead = (e: typeof r.events) =>
			e.find(
				(x) =>
					x.event === 'message.read' && (x.data as { readerId: string }).readerId === provider.id
			);
		await r.waitFor((e) => providerRead(e) !== undefined);
		expect(providerRead(r.events)!.data).toMatchObject({ upToSeq: 1 });
		await p.waitFor(
			(e) =>
				e.filter((x) => x.event === 'unread.changed').at(-1)?.data !== undefined &&
				(e.filter((x) => x.event === 'unread.changed').at(-1)!.data as { count: number }).count ===
					0
		);

		await transitionContract(t.db, provider.id, contract.id, 'accept');
		await r.waitFor((e) =>
			e.some(
				(x) =>
					x.event === 'message.created' &&
					(x.data as { senderRole: string }).senderRole === 'system'
			)
		);

		// Meanwhile the stranger's stream carried nothing but its own initial count.
		await new Promise((resolve) => setTimeout(resolve, 300));
		expect(s.events.map((x) => x.event)).toEqual(['unread.changed']);
		expect(JSON.stringify(s.events)).not.toContain('Live hello');

		await Promise.all([p.close(), r.close(), s.close()]);
		await hub.close();
	});

	it('replays what a reconnecting client missed after Last-Event-ID, and asks for a reload past the bound', async () => {
		const hub = newHub();
		const { requester, provider, contract } = await makeWorld(t.db);
		const first = (await connect(hub, provider)).stream!;
		await send(t.db, requester.id, contract.id, 'one');
		await first.waitFor((e) => e.some((x) => x.event === 'message.created'));
		const lastId = first.events.find((x) => x.event === 'message.created')!.id!;
		await first.close();

		await send(t.db, requester.id, contract.id, 'two');
		await send(t.db, requester.id, contract.id, 'three');
		const again = (await connect(hub, provider, lastId)).stream!;
		await again.waitFor((e) => e.filter((x) => x.event === 'message.created').length === 2);
		expect(
			again.events
				.filter((x) => x.event === 'message.created')
				.map((x) => (x.data as { body: string }).body)
		).toEqual(['two', 'three']);
		await again.close();

		const lastBeforeFlood = lastId;
		// One event per send for the provider: the requester's sends mark nothing but their own.
		for (let i = 0; i < REPLAY_LIMIT + 1; i++)
			await send(t.db, requester.id, contract.id, `flood ${i}`);
		const flooded = (await connect(hub, provider, lastBeforeFlood)).stream!;
		await flooded.waitFor((e) => e.some((x) => x.event === 'resync'));
		expect(flooded.events.some((x) => x.event === 'message.created')).toBe(false);
		await flooded.close();
		await hub.close();
	}, 60_000);

	it('releases streams and memory when 200 clients come and go', async () => {
		// Two users with 100 streams each: past the per-user limit of production.
		const hub = newHub({ maxStreamsPerUser: 1000 });
		const { provider, requester, contract } = await makeWorld(t.db);
		const gc = (globalThis as { gc?: () => void }).gc;
		const cycle = async () => {
			const streams = [];
			for (let i = 0; i < 200; i++)
				streams.push((await connect(hub, i % 2 ? provider : requester)).stream!);
			expect(hub.size).toBe(200);
			await send(t.db, requester.id, contract.id, 'to everyone');
			await Promise.all(
				streams.map((s) => s.waitFor((e) => e.some((x) => x.event === 'unread.changed')))
			);
			await Promise.all(streams.map((s) => s.close()));
			await new Promise((resolve) => setTimeout(resolve, 50));
			expect(hub.size).toBe(0);
			expect(hub.users).toBe(0);
		};
		await cycle();
		gc?.();
		const baseline = process.memoryUsage().heapUsed;
		await cycle();
		await cycle();
		gc?.();
		const after = process.memoryUsage().heapUsed;
		expect(gc).toBeTypeOf('function');
		// Two more rounds of 200 streams leave the heap where the first round left it (give or take 5 MB).
		expect(after - baseline).toBeLessThan(5 * 1024 * 1024);
		await hub.close();
	}, 120_000);

	// Issue #13, finding 5: 200 live streams for one user slowed every other request.
	it('keeps at most the per-user limit of streams across instances: a new one closes the oldest', async () => {
		const [a, b] = [newHub({ maxStreamsPerUser: 3 }), newHub({ maxStreamsPerUser: 3 })];
		const { provider, requester } = await makeWorld(t.db);
		const streams: ReturnType<typeof readSse>[] = [];
		for (let i = 0; i < 5; i++) {
			const { stream } = await connect(i % 2 ? b : a, provider);
			await stream!.waitFor((e) => e.some((x) => x.event === 'unread.changed'));
			streams.push(stream!);
		}
		const other = (await connect(a, requester)).stream!;
		await other.waitFor((e) => e.some((x) => x.event === 'unread.changed'));
		await streams[1]!.waitFor(() => streams[0]!.done && streams[1]!.done);
		expect(streams[0]!.events.at(-1)?.event).toBe('too-many-streams');
		expect(streams.slice(2).map((s) => s.done)).toEqual([false, false, false]);
		expect(other.done).toBe(false);
		expect(a.size + b.size).toBe(4);
		await Promise.all([...streams, other].map((s) => s.close()));
	});
});
