import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { threadSchema } from '../src/lib/schemas/messaging';
import type { SessionUser } from '../src/lib/server/auth';
import { messageNotifications } from '../src/lib/server/db/schema';
import {
	archiveThread,
	muteThread,
	unarchiveThread,
	unmuteThread
} from '../src/lib/server/http/messaging-api';
import {
	getUnreadCount,
	listInbox,
	processDueNotifications,
	setThreadPreference
} from '../src/lib/server/messaging';
import { useTestDatabase } from './helpers/db';
import { apiEvent, makeWorld } from './helpers/fixtures';
import { send } from './helpers/messaging';

const t = useTestDatabase();

const inbox = async (userId: string, options: { archived?: boolean; unreadOnly?: boolean } = {}) =>
	(await listInbox(t.db, userId, { limit: 20, ...options })).threads;

const email = {
	from: 'Parley <n@parley.test>',
	resendApiKey: null,
	resendBaseUrl: null,
	sendTimeoutMs: 2000,
	publicOrigin: 'https://parley.test'
};
const runNotifications = () =>
	processDueNotifications(
		t.db,
		{ delaySeconds: 0, cooldownSeconds: 0 },
		email,
		Date.now() + 10_000
	);

describe('archiving a conversation', () => {
	it('takes it out of my inbox (not the other party’s) until the next message arrives', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		await send(t.db, requester.id, contract.id, 'Thanks, all done!');
		const archived = await setThreadPreference(t.db, provider.id, contract.id, { archived: true });
		expect(archived).toMatchObject({ archived: true, muted: false });
		expect(await inbox(provider.id)).toEqual([]);
		expect((await inbox(provider.id, { archived: true })).map((th) => th.contractId)).toEqual([
			contract.id
		]);
		expect(await inbox(requester.id)).toHaveLength(1);
		// Unread messages in it still count: archiving is not reading.
		expect(await getUnreadCount(t.db, provider.id)).toBe(1);

		await send(t.db, requester.id, contract.id, 'One more thing');
		const [back] = await inbox(provider.id);
		expect(back).toMatchObject({ contractId: contract.id, archived: false });
		expect(await inbox(provider.id, { archived: true })).toEqual([]);
	});
});

describe('muting a conversation', () => {
	it('sends me no email and leaves my badge, but keeps it in my inbox, marked', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		// One queued before muting: skipped when its turn comes.
		const before = (await send(t.db, requester.id, contract.id, 'Before'))!;
		await setThreadPreference(t.db, provider.id, contract.id, { muted: true });
		const after = (await send(t.db, requester.id, contract.id, 'After'))!;

		expect(await getUnreadCount(t.db, provider.id)).toBe(0);
		const [row] = await inbox(provider.id);
		expect(row).toMatchObject({ muted: true, unreadCount: 2 });
		expect((await inbox(provider.id, { unreadOnly: true })).map((th) => th.muted)).toEqual([true]);
		expect(
			await t.db
				.select()
				.from(messageNotifications)
				.where(eq(messageNotifications.messageId, after.id))
		).toEqual([]);
		await runNotifications();
		const [queued] = await t.db
			.select()
			.from(messageNotifications)
			.where(eq(messageNotifications.messageId, before.id));
		expect(queued).toMatchObject({ status: 'skipped', skipReason: 'muted' });

		// The other party is not muted by my choice.
		await send(t.db, provider.id, contract.id, 'Hi');
		expect(await getUnreadCount(t.db, requester.id)).toBe(1);

		await setThreadPreference(t.db, provider.id, contract.id, { muted: false });
		expect(await getUnreadCount(t.db, provider.id)).toBe(0);
		await send(t.db, requester.id, contract.id, 'Unmuted');
		expect(await getUnreadCount(t.db, provider.id)).toBe(1);
	});
});

describe('PUT and DELETE /api/contracts/{id}/thread/archive and /mute', () => {
	it('answer the thread, 401 without a session, 404 to strangers and before the first message', async () => {
		const { requester, provider, stranger, contract } = await makeWorld(t.db);
		const call = (
			handler: typeof archiveThread,
			user: SessionUser | null,
			method: 'PUT' | 'DELETE'
		) => handler(t.db, apiEvent(user, { method, params: { id: contract.id } }));
		const all = [
			[archiveThread, 'PUT'],
			[unarchiveThread, 'DELETE'],
			[muteThread, 'PUT'],
			[unmuteThread, 'DELETE']
		] as const;
		for (const [handler, method] of all) {
			expect((await call(handler, null, method)).status).toBe(401);
			expect((await call(handler, requester, method)).status).toBe(404);
		}
		await send(t.db, requester.id, contract.id, 'Hello');
		for (const [handler, method] of all) {
			expect((await call(handler, stranger, method)).status).toBe(404);
		}
		const archived = await call(archiveThread, provider, 'PUT');
		expect(archived.status).toBe(200);
		expect(threadSchema.parse(await archived.json())).toMatchObject({ archived: true });
		const muted = threadSchema.parse(await (await call(muteThread, provider, 'PUT')).json());
		expect(muted).toMatchObject({ archived: true, muted: true });
		const again = threadSchema.parse(await (await call(muteThread, provider, 'PUT')).json());
		expect(again.muted).toBe(true);
		expect(
			threadSchema.parse(await (await call(unarchiveThread, provider, 'DELETE')).json())
		).toMatchObject({ archived: false, muted: true });
		expect(
			threadSchema.parse(await (await call(unmuteThread, provider, 'DELETE')).json())
		).toMatchObject({ muted: false });
	});
});
