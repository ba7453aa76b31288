import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import * as auth from '../src/lib/server/auth';
import { invalidateSession, sessionIdFromToken } from '../src/lib/server/auth';
import { sessions } from '../src/lib/server/db/schema';
import { openStream } from '../src/lib/server/http/messaging-api';
import { LiveHub } from '../src/lib/server/live/hub';
import type { SessionUser } from '../src/lib/server/auth';
import { send } from './helpers/messaging';
import { useTestDatabase } from './helpers/db';
import { apiEvent, makeWorld, sessionTokenFor } from './helpers/fixtures';
import { readSse } from './helpers/sse';

// Issue #13, finding 3: a stream checked the session only when it opened, and kept delivering
// message bodies after logout.
const t = useTestDatabase();
const hubs: LiveHub[] = [];
afterEach(async () => {
	await Promise.all(hubs.splice(0).map((hub) => hub.close()));
});
/** Two hubs on one database stand for two app instances. */
function newHub(recheckMs?: number) {
	const hub = new LiveHub(t.database, { recheckMs });
	hubs.push(hub);
	return hub;
}

async function signedInStream(hub: LiveHub, user: SessionUser, token?: string) {
	token ??= await sessionTokenFor(t.db, user);
	const sessionId = sessionIdFromToken(token);
	const response = await openStream(t.db, hub, apiEvent(user, { sessionId }));
	expect(response.status).toBe(200);
	const stream = readSse(response);
	await stream.waitFor((e) => e.some((x) => x.event === 'unread.changed'));
	return { stream, sessionId, token };
}

async function waitUntil(predicate: () => boolean, timeoutMs = 5000) {
	const start = Date.now();
	while (!predicate()) {
		if (Date.now() - start > timeoutMs) throw new Error('timed out');
		await new Promise((r) => setTimeout(r, 20));
	}
}

describe('live streams end with their session', () => {
	it('logout closes the session’s streams on every instance, and nothing more is delivered', async () => {
		const [a, b] = [newHub(), newHub()];
		const { requester, provider, contract } = await makeWorld(t.db);
		const onA = await signedInStream(a, provider);
		const onB = await signedInStream(b, provider, onA.token);
		const other = await signedInStream(b, provider);

		await invalidateSession(t.db, onA.sessionId);
		await waitUntil(() => onA.stream.done && onB.stream.done);
		expect(onA.stream.events.at(-1)?.event).toBe('signed-out');

		await send(t.db, requester.id, contract.id, 'Secret after logout');
		await other.stream.waitFor((e) => e.some((x) => x.event === 'message.created'));
		for (const s of [onA.stream, onB.stream]) {
			expect(JSON.stringify(s.events)).not.toContain('Secret after logout');
		}
		expect(a.size + b.size).toBe(1);
		await other.stream.close();
	});

	it('revokeUserSessions signs out every other session and closes their streams everywhere', async () => {
		const [a, b] = [newHub(), newHub()];
		const { provider } = await makeWorld(t.db);
		const kept = await signedInStream(a, provider);
		const gone = [await signedInStream(a, provider), await signedInStream(b, provider)];

		const revoked = await auth.revokeUserSessions(t.db, provider.id, {
			exceptSessionId: kept.sessionId
		});
		expect(revoked).toBe(2);
		await waitUntil(() => gone.every((g) => g.stream.done));
		expect(kept.stream.done).toBe(false);
		const left = await t.db.select().from(sessions).where(eq(sessions.userId, provider.id));
		expect(left.map((s) => s.id)).toEqual([kept.sessionId]);

		await auth.revokeUserSessions(t.db, provider.id);
		await waitUntil(() => kept.stream.done);
		expect(a.size + b.size).toBe(0);
	});

	it('a stream re-checks its session: expiry or a deletion it was not told of ends it', async () => {
		const hub = newHub(100);
		const { provider } = await makeWorld(t.db);
		const expiring = await signedInStream(hub, provider);
		const deleted = await signedInStream(hub, provider);
		const fine = await signedInStream(hub, provider);

		await t.db
			.update(sessions)
			.set({ expiresAt: new Date(Date.now() - 1000) })
			.where(eq(sessions.id, expiring.sessionId));
		// Deleted behind the hub's back, as if the notification were lost.
		await t.db.delete(sessions).where(eq(sessions.id, deleted.sessionId));
		await waitUntil(() => expiring.stream.done && deleted.stream.done);
		await new Promise((r) => setTimeout(r, 300));
		expect(fine.stream.done).toBe(false);
		await fine.stream.close();
	});
});
