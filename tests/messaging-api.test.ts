import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
	inboxPageSchema,
	messagePageSchema,
	messageSchema,
	responseMetricsSchema,
	threadSchema
} from '../src/lib/schemas/messaging';
import { messageThreads } from '../src/lib/server/db/schema';
import {
	getInbox,
	getMessages,
	getResponseMetrics,
	getThread,
	getUnread,
	patchThread,
	postMessage,
	putMessageRead,
	putThreadRead
} from '../src/lib/server/http/messaging-api';
import type { SessionUser } from '../src/lib/server/auth';
import type { ApiEvent } from '../src/lib/server/http/contracts-api';
import { send } from './helpers/messaging';
import { useTestDatabase } from './helpers/db';
import { apiEvent, makeWorld } from './helpers/fixtures';

const t = useTestDatabase();

type World = Awaited<ReturnType<typeof makeWorld>>;
type Handler = (db: typeof t.db, event: ApiEvent) => Promise<Response>;

/** Every messaging endpoint that touches one contract, thread or message, as a request builder. */
function endpoints(world: World, messageId: string) {
	const params = { id: world.contract.id };
	const list: [string, Handler, (user: SessionUser | null) => ApiEvent][] = [
		['GET messages', getMessages, (u) => apiEvent(u, { params })],
		[
			'POST messages',
			postMessage,
			(u) => apiEvent(u, { method: 'POST', params, json: { body: 'hi' } })
		],
		['GET thread', getThread, (u) => apiEvent(u, { params })],
		[
			'PATCH thread',
			patchThread,
			(u) => apiEvent(u, { method: 'PATCH', params, json: { status: 'resolved' } })
		],
		['PUT thread/read', putThreadRead, (u) => apiEvent(u, { method: 'PUT', params })],
		[
			'PUT message read',
			putMessageRead,
			(u) => apiEvent(u, { method: 'PUT', params: { id: messageId } })
		]
	];
	return list;
}

describe('authorization matrix', () => {
	it('answers 401 without a session on every endpoint', async () => {
		const world = await makeWorld(t.db);
		const message = (await send(t.db, world.requester.id, world.contract.id, 'Hello'))!;
		const all: [string, Handler, ApiEvent][] = [
			...endpoints(world, message.id).map(
				([n, h, e]) => [n, h, e(null)] as [string, Handler, ApiEvent]
			),
			['GET unread-count', getUnread, apiEvent(null)],
			['GET inbox', getInbox, apiEvent(null)],
			['GET metrics', getResponseMetrics, apiEvent(null, { params: { userId: world.provider.id } })]
		];
		for (const [name, handler, event] of all) {
			const response = await handler(t.db, event);
			expect(response.status, name).toBe(401);
			expect(await response.json(), name).toMatchObject({ error: { code: 'unauthorized' } });
		}
	});

	it('answers 404 to a signed-in stranger on every endpoint of the contract, and changes nothing', async () => {
		const world = await makeWorld(t.db);
		const message = (await send(t.db, world.requester.id, world.contract.id, 'Private'))!;
		for (const [name, handler, event] of endpoints(world, message.id)) {
			const response = await handler(t.db, event(world.stranger));
			expect(response.status, name).toBe(404);
			const body = await response.json();
			expect(body.error.code, name).toBe('not_found');
			expect(JSON.stringify(body), name).not.toContain('Private');
		}
		const page = await (
			await getMessages(t.db, apiEvent(world.requester, { params: { id: world.contract.id } }))
		).json();
		expect(page.messages).toHaveLength(1);
		expect(page.thread.status).toBe('open');
		// The stranger's inbox and badge stay empty.
		expect(await (await getInbox(t.db, apiEvent(world.stranger))).json()).toEqual({
			threads: [],
			nextCursor: null
		});
		expect(await (await getUnread(t.db, apiEvent(world.stranger))).json()).toEqual({ count: 0 });
	});

	it('answers a stranger 404 for a send even when the body is bad, and a party 4xx', async () => {
		const world = await makeWorld(t.db);
		const params = { id: world.contract.id };
		const bad = [
			{ json: { body: '' } },
			{ body: 'not json', headers: { 'content-type': 'application/json' } },
			{ body: 'hi', headers: { 'content-type': 'text/plain' } }
		];
		for (const init of bad) {
			const asStranger = await postMessage(
				t.db,
				apiEvent(world.stranger, { method: 'POST', params, ...init })
			);
			expect(asStranger.status, JSON.stringify(init)).toBe(404);
			const asParty = await postMessage(
				t.db,
				apiEvent(world.requester, { method: 'POST', params, ...init })
			);
			expect([400, 415], JSON.stringify(init)).toContain(asParty.status);
		}
	});

	it('lets both parties use every endpoint', async () => {
		const world = await makeWorld(t.db);
		const message = (await send(t.db, world.requester.id, world.contract.id, 'Hello'))!;
		for (const party of [world.requester, world.provider]) {
			for (const [name, handler, event] of endpoints(world, message.id)) {
				const response = await handler(t.db, event(party));
				expect([200, 201, 204], `${name} as ${party.displayName}`).toContain(response.status);
			}
		}
	});
});

describe('sending', () => {
	it('validates the body and says what is wrong', async () => {
		const { requester, contract } = await makeWorld(t.db);
		const params = { id: contract.id };
		const send = (init: Parameters<typeof apiEvent>[1]) =>
			postMessage(t.db, apiEvent(requester, { method: 'POST', params, ...init }));
		const cases: [string, Parameters<typeof apiEvent>[1], number, RegExp][] = [
			['empty', { json: { body: '' } }, 400, /Write a message/],
			['only spaces', { json: { body: '   \n\t ' } }, 400, /Write a message/],
			[
				'10,001 characters',
				{ json: { body: 'x'.repeat(10_001) } },
				400,
				/at most 10,000 characters; this one has 10,001/
			],
			['a control character', { json: { body: 'bell\u0007' } }, 400, /control characters/],
			['not a string', { json: { body: 42 } }, 400, /must be text/],
			['no body field', { json: {} }, 400, /must be text/],
			[
				'not JSON',
				{ body: '{"body": ', headers: { 'content-type': 'application/json' } },
				400,
				/not valid JSON/
			],
			[
				'wrong content type',
				{ body: 'body=hi', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
				415,
				/application\/json/
			],
			['over 64 KB', { json: { body: 'x'.repeat(70_000) } }, 413, /larger than 64 KB/]
		];
		for (const [name, init, status, message] of cases) {
			const response = await send(init);
			expect(response.status, name).toBe(status);
			expect((await response.json()).error.message, name).toMatch(message);
		}
		const page = await (await getMessages(t.db, apiEvent(requester, { params }))).json();
		expect(page).toEqual({ thread: null, messages: [], nextCursor: null });
	});

	it('accepts exactly 10,000 characters, counting an emoji once, and trims', async () => {
		const { requester, contract } = await makeWorld(t.db);
		const body = '🙂' + 'x'.repeat(9_999);
		const response = await postMessage(
			t.db,
			apiEvent(requester, {
				method: 'POST',
				params: { id: contract.id },
				json: { body: `  ${body}\n` }
			})
		);
		expect(response.status).toBe(201);
		const message = messageSchema.parse(await response.json());
		expect(message.body).toBe(body);
		expect(message).toMatchObject({
			isOwn: true,
			isRead: true,
			senderRole: 'user',
			senderId: requester.id,
			readByCounterpartAt: null
		});
	});

	it('keeps newlines and tabs, and stores CRLF from forms as LF', async () => {
		const { requester, contract } = await makeWorld(t.db);
		const response = await postMessage(
			t.db,
			apiEvent(requester, {
				method: 'POST',
				params: { id: contract.id },
				json: { body: 'a\r\n\tb' }
			})
		);
		expect((await response.json()).body).toBe('a\n\tb');
	});

	it('refuses posting into a closed thread with 409, and reopens a resolved one', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		const params = { id: contract.id };
		await send(t.db, requester.id, contract.id, 'Hello');
		const resolved = await patchThread(
			t.db,
			apiEvent(provider, { method: 'PATCH', params, json: { status: 'resolved' } })
		);
		expect(threadSchema.parse(await resolved.json()).status).toBe('resolved');
		await postMessage(
			t.db,
			apiEvent(requester, { method: 'POST', params, json: { body: 'One more thing' } })
		);
		expect((await (await getThread(t.db, apiEvent(provider, { params }))).json()).status).toBe(
			'open'
		);

		const bad = await patchThread(
			t.db,
			apiEvent(provider, { method: 'PATCH', params, json: { status: 'closed' } })
		);
		expect(bad.status).toBe(400);

		await t.db
			.update(messageThreads)
			.set({ status: 'closed' })
			.where(eq(messageThreads.contractId, contract.id));
		const refused = await postMessage(
			t.db,
			apiEvent(requester, { method: 'POST', params, json: { body: 'Anyone?' } })
		);
		expect(refused.status).toBe(409);
		expect((await refused.json()).error.code).toBe('conflict');
		const reopen = await patchThread(
			t.db,
			apiEvent(requester, { method: 'PATCH', params, json: { status: 'open' } })
		);
		expect(reopen.status).toBe(409);
	});
});

describe('reading', () => {
	it('GET thread is 404 before the first message, then the thread', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		const params = { id: contract.id };
		const before = await getThread(t.db, apiEvent(requester, { params }));
		expect(before.status).toBe(404);
		expect((await before.json()).error.message).toBe('This contract has no messages yet.');
		await send(t.db, requester.id, contract.id, 'Hi Paul');
		const thread = threadSchema.parse(
			await (await getThread(t.db, apiEvent(provider, { params }))).json()
		);
		expect(thread).toMatchObject({
			contractId: contract.id,
			subject: 'GPU box',
			status: 'open',
			messageCount: 1,
			unreadCount: 1,
			lastMessage: { body: 'Hi Paul', senderName: requester.displayName, senderRole: 'user' },
			counterpart: { id: requester.id, name: requester.displayName, role: 'requester' }
		});
	});

	it('marks read idempotently and reports receipts to the sender', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		const params = { id: contract.id };
		const first = (await send(t.db, requester.id, contract.id, 'one'))!;
		const second = (await send(t.db, requester.id, contract.id, 'two'))!;
		await send(t.db, requester.id, contract.id, 'three');
		expect(await (await getUnread(t.db, apiEvent(provider))).json()).toEqual({ count: 3 });

		// Reading the second marks the first too.
		expect(
			(await putMessageRead(t.db, apiEvent(provider, { method: 'PUT', params: { id: second.id } })))
				.status
		).toBe(204);
		expect(
			(await putMessageRead(t.db, apiEvent(provider, { method: 'PUT', params: { id: first.id } })))
				.status
		).toBe(204);
		expect(await (await getUnread(t.db, apiEvent(provider))).json()).toEqual({ count: 1 });

		const mine = messagePageSchema.parse(
			await (await getMessages(t.db, apiEvent(requester, { params }))).json()
		);
		expect(mine.messages.map((m) => m.readByCounterpartAt !== null)).toEqual([true, true, false]);

		const marked = await putThreadRead(t.db, apiEvent(provider, { method: 'PUT', params }));
		expect(await marked.json()).toEqual({ marked: 1 });
		const again = await putThreadRead(t.db, apiEvent(provider, { method: 'PUT', params }));
		expect(await again.json()).toEqual({ marked: 0 });
		expect(await (await getUnread(t.db, apiEvent(provider))).json()).toEqual({ count: 0 });
		const theirs = messagePageSchema.parse(
			await (await getMessages(t.db, apiEvent(provider, { params }))).json()
		);
		expect(theirs.messages.every((m) => m.isRead && !m.isOwn)).toBe(true);
		expect(theirs.thread?.unreadCount).toBe(0);
	});

	it('PUT thread/read on a contract without messages marks nothing', async () => {
		const { requester, contract } = await makeWorld(t.db);
		const response = await putThreadRead(
			t.db,
			apiEvent(requester, { method: 'PUT', params: { id: contract.id } })
		);
		expect(await response.json()).toEqual({ marked: 0 });
	});

	it('pages backwards without skipping or repeating while new messages arrive', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		const params = { id: contract.id };
		for (let i = 1; i <= 25; i++) {
			await send(t.db, i % 2 ? requester.id : provider.id, contract.id, `m${i}`);
		}
		const seen: string[] = [];
		let cursor: string | null = null;
		let round = 0;
		do {
			const path: string = `/api/contracts/${contract.id}/messages?limit=7${cursor ? `&before=${cursor}` : ''}`;
			const page = messagePageSchema.parse(
				await (await getMessages(t.db, apiEvent(requester, { params, path }))).json()
			);
			// Oldest first within a page; pages go back in time.
			seen.unshift(...page.messages.map((m) => m.body));
			cursor = page.nextCursor;
			// New messages keep arriving between pages.
			await send(t.db, provider.id, contract.id, `new${++round}`);
		} while (cursor);
		expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `m${i + 1}`));
	});

	it('rejects bad query parameters with 400', async () => {
		const { requester, contract } = await makeWorld(t.db);
		const params = { id: contract.id };
		for (const q of ['limit=0', 'limit=101', 'limit=abc', 'before=-1', 'before=x']) {
			const response = await getMessages(t.db, apiEvent(requester, { params, path: `/x?${q}` }));
			expect(response.status, q).toBe(400);
		}
		for (const q of ['limit=0', 'cursor=nonsense']) {
			expect((await getInbox(t.db, apiEvent(requester, { path: `/x?${q}` }))).status, q).toBe(400);
		}
		for (const q of ['days=0', 'days=366', 'days=1.5']) {
			const response = await getResponseMetrics(
				t.db,
				apiEvent(requester, { params: { userId: contract.provider.id }, path: `/x?${q}` })
			);
			expect(response.status, q).toBe(400);
		}
	});
});

describe('out-of-range input (#13 finding 7)', () => {
	const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
	const uuid = '00000000-0000-4000-8000-000000000000';

	it('answers 400 with the error shape to a before past the integer range', async () => {
		const { requester, contract } = await makeWorld(t.db);
		await send(t.db, requester.id, contract.id, 'Hello');
		const params = { id: contract.id };
		for (const before of ['2147483648', '9999999999']) {
			const response = await getMessages(
				t.db,
				apiEvent(requester, { params, path: `/x?before=${before}` })
			);
			expect(response.status, before).toBe(400);
			expect(await response.json(), before).toMatchObject({
				error: { code: 'bad_request', message: expect.any(String) }
			});
		}
		const last = await getMessages(
			t.db,
			apiEvent(requester, { params, path: '/x?before=2147483647' })
		);
		expect(last.status).toBe(200);
	});

	it('answers 400 with the error shape to inbox cursors holding impossible dates', async () => {
		const { requester } = await makeWorld(t.db);
		for (const at of [
			'2024-13-45 99:99:99+00',
			'2024-02-30 10:00:00+00',
			'2023-02-29 10:00:00+00',
			'2024-01-01 24:00:01+00',
			'0000-01-01 00:00:00+00',
			'2024-01-01 10:00:00+99'
		]) {
			const response = await getInbox(
				t.db,
				apiEvent(requester, { path: `/x?cursor=${cursor([at, uuid])}` })
			);
			expect(response.status, at).toBe(400);
			expect(await response.json(), at).toMatchObject({ error: { code: 'bad_request' } });
		}
		const leap = await getInbox(
			t.db,
			apiEvent(requester, { path: `/x?cursor=${cursor(['2024-02-29 10:00:00.123456+00', uuid])}` })
		);
		expect(leap.status).toBe(200);
	});
});

describe('inbox', () => {
	it('lists my threads by latest activity, pages by cursor and filters unread', async () => {
		const worlds = [];
		const shared = await makeWorld(t.db);
		worlds.push(shared);
		// The same requester in 5 more contracts with other providers.
		for (let i = 0; i < 5; i++) {
			const w = await makeWorld(t.db);
			const { rentOffering } = await import('../src/lib/server/contracts');
			const contract = (await rentOffering(t.db, shared.requester.id, w.offering.id))!;
			worlds.push({ ...w, contract, requester: shared.requester });
		}
		for (const [i, w] of worlds.entries()) {
			await send(t.db, w.provider.id, w.contract.id, `hello ${i}`);
		}
		// Activity in the first thread moves it to the top.
		await send(t.db, shared.requester.id, shared.contract.id, 'bump');

		const pages = [];
		let cursor: string | null = null;
		do {
			const path: string = `/api/messages/inbox?limit=4${cursor ? `&cursor=${cursor}` : ''}`;
			const page = inboxPageSchema.parse(
				await (await getInbox(t.db, apiEvent(shared.requester, { path }))).json()
			);
			pages.push(page);
			cursor = page.nextCursor;
		} while (cursor);
		const threads = pages.flatMap((p) => p.threads);
		expect(pages.map((p) => p.threads.length)).toEqual([4, 2]);
		expect(new Set(threads.map((th) => th.id)).size).toBe(6);
		expect(threads[0]).toMatchObject({
			contractId: shared.contract.id,
			unreadCount: 0,
			lastMessage: { body: 'bump' }
		});
		expect(threads.slice(1).map((th) => th.lastMessage?.body)).toEqual([
			'hello 5',
			'hello 4',
			'hello 3',
			'hello 2',
			'hello 1'
		]);

		const unread = inboxPageSchema.parse(
			await (await getInbox(t.db, apiEvent(shared.requester, { path: '/x?unread=true' }))).json()
		);
		expect(unread.threads).toHaveLength(5);
		expect(await (await getUnread(t.db, apiEvent(shared.requester))).json()).toEqual({ count: 5 });
	});

	it('previews the first 140 characters', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		await send(t.db, requester.id, contract.id, 'é'.repeat(200));
		const inbox = inboxPageSchema.parse(await (await getInbox(t.db, apiEvent(provider))).json());
		expect(inbox.threads[0]!.lastMessage!.body).toBe('é'.repeat(140));
	});
});

describe('response metrics endpoint', () => {
	it('is readable by any signed-in user and reveals no content', async () => {
		const { requester, provider, stranger, contract } = await makeWorld(t.db);
		await send(t.db, requester.id, contract.id, 'secret question');
		await send(t.db, provider.id, contract.id, 'secret answer');
		const response = await getResponseMetrics(
			t.db,
			apiEvent(stranger, { params: { userId: provider.id } })
		);
		expect(response.status).toBe(200);
		const text = await response.clone().text();
		expect(text).not.toContain('secret');
		const metrics = responseMetricsSchema.parse(await response.json());
		expect(metrics).toMatchObject({
			totalThreads: 1,
			respondedThreads: 1,
			responseRatePct: 100,
			days: 30
		});
		const missing = await getResponseMetrics(
			t.db,
			apiEvent(stranger, { params: { userId: '00000000-0000-4000-8000-000000000000' } })
		);
		expect(missing.status).toBe(404);
	});
});
