import { validateUIMessages } from 'ai';
import { describe, expect, it } from 'vitest';
import { messageSchema, uiMessagePageSchema } from '../src/lib/schemas/messaging';
import type { SessionUser } from '../src/lib/server/auth';
import type { ApiEvent } from '../src/lib/server/http/endpoint';
import {
	getMessages,
	patchMessage,
	postMessage,
	putMessageUnread,
	removeMessage
} from '../src/lib/server/http/messaging-api';
import { appendMessage, getUnreadCount, markThreadRead } from '../src/lib/server/messaging';
import { parleyMessageMetadataSchema } from '../src/lib/server/messaging/ai-sdk';
import { useTestDatabase } from './helpers/db';
import { apiEvent, makeWorld } from './helpers/fixtures';
import { send } from './helpers/messaging';

const t = useTestDatabase();

type Handler = (db: typeof t.db, event: ApiEvent) => Promise<Response>;

const edit = (user: SessionUser | null, id: string, json: unknown = { body: 'changed' }) =>
	patchMessage(t.db, apiEvent(user, { method: 'PATCH', params: { id }, json }));
const remove = (user: SessionUser | null, id: string) =>
	removeMessage(t.db, apiEvent(user, { method: 'DELETE', params: { id } }));
const unread = (user: SessionUser | null, id: string) =>
	putMessageUnread(t.db, apiEvent(user, { method: 'PUT', params: { id } }));
const bodies = async (user: SessionUser, contractId: string) =>
	(
		(await (await getMessages(t.db, apiEvent(user, { params: { id: contractId } }))).json()) as {
			messages: { body: string; editedAt: string | null; deletedAt: string | null }[];
		}
	).messages;

describe('authorization of the message lifecycle endpoints', () => {
	it('answers 401 without a session, 404 to a stranger (bad body or not), 403 to the other party', async () => {
		const { requester, provider, stranger, contract } = await makeWorld(t.db);
		const mine = (await send(t.db, requester.id, contract.id, 'Private words'))!;
		const calls: [string, (u: SessionUser | null) => Promise<Response>][] = [
			['PATCH', (u) => edit(u, mine.id)],
			['PATCH bad body', (u) => edit(u, mine.id, { body: '' })],
			['DELETE', (u) => remove(u, mine.id)],
			['PUT unread', (u) => unread(u, mine.id)]
		];
		for (const [name, call] of calls) {
			expect((await call(null)).status, name).toBe(401);
			const asStranger = await call(stranger);
			expect(asStranger.status, name).toBe(404);
			expect(await asStranger.text(), name).not.toContain('Private');
		}
		expect((await edit(provider, mine.id)).status).toBe(403);
		expect((await remove(provider, mine.id)).status).toBe(403);
		expect((await edit(requester, mine.id, { body: '' })).status).toBe(400);
		expect((await edit(requester, 'not-a-uuid')).status).toBe(404);
		// Nothing changed.
		expect(await bodies(requester, contract.id)).toMatchObject([
			{ body: 'Private words', editedAt: null, deletedAt: null }
		]);
	});

	it('refuses changes to system messages with 403', async () => {
		const { requester, contract } = await makeWorld(t.db);
		const system = await appendMessage(t.db, { kind: 'system' }, contract.id, { body: 'Accepted' });
		expect((await edit(requester, system!.message.id)).status).toBe(403);
		expect((await remove(requester, system!.message.id)).status).toBe(403);
	});
});

describe('editing, deleting and marking unread over HTTP', () => {
	it('edits within the window (200), and answers 409 after it', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		const mine = (await send(t.db, requester.id, contract.id, 'See you at 9'))!;
		const response = await edit(requester, mine.id, { body: '  See you at 10  ' });
		expect(response.status).toBe(200);
		const edited = messageSchema.parse(await response.json());
		expect(edited).toMatchObject({ id: mine.id, body: 'See you at 10', isOwn: true });
		expect(edited.editedAt).not.toBeNull();
		expect(await bodies(provider, contract.id)).toMatchObject([{ body: 'See you at 10' }]);

		const old = (await send(t.db, requester.id, contract.id, 'old', {
			at: new Date(Date.now() - 20 * 60_000)
		}))!;
		const late = await edit(requester, old.id);
		expect(late.status).toBe(409);
		expect(await late.json()).toMatchObject({
			error: {
				code: 'conflict',
				message: 'Messages can be edited for 15 minutes after they are sent.'
			}
		});
	});

	it('deletes (204, idempotent), after which the message shows as deleted to both', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		const mine = (await send(t.db, requester.id, contract.id, 'Oops'))!;
		expect(await getUnreadCount(t.db, provider.id)).toBe(1);
		expect((await remove(requester, mine.id)).status).toBe(204);
		expect((await remove(requester, mine.id)).status).toBe(204);
		expect(await getUnreadCount(t.db, provider.id)).toBe(0);
		for (const user of [requester, provider]) {
			const [shown] = await bodies(user, contract.id);
			expect(shown!.body).toBe('');
			expect(shown!.deletedAt).not.toBeNull();
		}
		expect((await edit(requester, mine.id)).status).toBe(409);
	});

	it('marks unread (204) and the badge counts it again', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		const theirs = (await send(t.db, provider.id, contract.id, 'Your keys are ready'))!;
		await markThreadRead(t.db, requester.id, contract.id);
		expect(await getUnreadCount(t.db, requester.id)).toBe(0);
		expect((await unread(requester, theirs.id)).status).toBe(204);
		expect(await getUnreadCount(t.db, requester.id)).toBe(1);
	});
});

describe('idempotent sends over HTTP', () => {
	const post = (user: SessionUser, id: string, body: string, key?: string) =>
		postMessage(
			t.db,
			apiEvent(user, {
				method: 'POST',
				params: { id },
				json: { body },
				headers: key === undefined ? {} : { 'idempotency-key': key }
			})
		);

	it('answers 201 first, then 200 with the same message, and 422 for another body', async () => {
		const { requester, contract } = await makeWorld(t.db);
		const first = await post(requester, contract.id, 'Hello', 'abc-123');
		expect(first.status).toBe(201);
		const again = await post(requester, contract.id, 'Hello', 'abc-123');
		expect(again.status).toBe(200);
		expect((await again.json()).id).toBe((await first.json()).id);
		const reused = await post(requester, contract.id, 'Something else', 'abc-123');
		expect(reused.status).toBe(422);
		expect(await reused.json()).toMatchObject({ error: { code: 'idempotency_key_reused' } });
		expect(await bodies(requester, contract.id)).toHaveLength(1);
	});

	it('refuses a malformed key with 400', async () => {
		const { requester, contract } = await makeWorld(t.db);
		for (const key of ['x'.repeat(256), 'naïve']) {
			const response = await post(requester, contract.id, 'Hello', key);
			expect(response.status, key).toBe(400);
			expect((await response.json()).error.message).toContain('Idempotency-Key');
		}
		expect(await bodies(requester, contract.id)).toHaveLength(0);
	});
});

describe('GET messages?format=ui', () => {
	it('answers the page as AI SDK UIMessages that the SDK itself accepts', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		await appendMessage(t.db, { kind: 'system' }, contract.id, { body: 'Rita requested' });
		const question = (await send(t.db, requester.id, contract.id, 'Is Monday ok?'))!;
		await edit(requester, question.id, { body: 'Is Tuesday ok?' });
		const oops = (await send(t.db, provider.id, contract.id, 'wrong'))!;
		await remove(provider, oops.id);
		await appendMessage(
			t.db,
			{ kind: 'assistant', agentId: 'helper', actingFor: provider.id },
			contract.id,
			{ body: 'Tuesday works.' }
		);
		const handler: Handler = getMessages;
		const response = await handler(
			t.db,
			apiEvent(requester, { params: { id: contract.id }, path: '/api/x?format=ui' })
		);
		expect(response.status).toBe(200);
		const page = uiMessagePageSchema.parse(await response.json());
		expect(page.messages.map((m) => [m.role, m.parts[0]!.text])).toEqual([
			['system', 'Rita requested'],
			['user', 'Is Tuesday ok?'],
			['user', 'This message was deleted.'],
			['assistant', 'Tuesday works.']
		]);
		expect(page.messages[1]!.metadata).toMatchObject({ isOwn: true, contractId: contract.id });
		expect(page.messages[1]!.metadata.editedAt).not.toBeNull();
		const validated = await validateUIMessages({
			messages: page.messages,
			metadataSchema: parleyMessageMetadataSchema
		});
		expect(validated).toHaveLength(4);

		const bad = await handler(
			t.db,
			apiEvent(requester, { params: { id: contract.id }, path: '/api/x?format=xml' })
		);
		expect(bad.status).toBe(400);
	});
});
