import { eq, sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiScope } from '../src/lib/schemas/api-tokens';
import { messageSchema } from '../src/lib/schemas/messaging';
import { createApiToken, revokeApiToken } from '../src/lib/server/api-tokens';
import { createAttachment } from '../src/lib/server/attachments';
import { attachmentSettings } from '../src/lib/server/config';
import type { SessionUser } from '../src/lib/server/auth';
import { apiTokens, emailQueue, messages } from '../src/lib/server/db/schema';
import type { ApiEvent, Endpoint } from '../src/lib/server/http/endpoint';
import type { Access } from '../src/lib/server/http/bearer';
import { ENDPOINTS } from '../src/lib/server/http/endpoints';
import { getMessages, postMessage } from '../src/lib/server/http/messaging-api';
import { LiveHub } from '../src/lib/server/live/hub';
import {
	getProviderResponseMetrics,
	getUnreadCount,
	processDueNotifications
} from '../src/lib/server/messaging';
import { useTestDatabase } from './helpers/db';
import { aiWith, textModel } from './helpers/mock-model';
import { makeWorld } from './helpers/fixtures';
import { send } from './helpers/messaging';

// Every JSON endpoint x every kind of caller: no token, a revoked or an expired token, a read-only
// token, a write token, and a token of someone who is not a party. A new endpoint fails here
// until it says what a token needs and this table says how to call it.

const t = useTestDatabase();
const hubs: LiveHub[] = [];
const aborts: AbortController[] = [];
afterEach(async () => {
	aborts.splice(0).forEach((a) => a.abort());
	await Promise.all(hubs.splice(0).map((hub) => hub.close()));
});

type World = Awaited<ReturnType<typeof makeWorld>> & {
	ownMessageId: string;
	theirMessageId: string;
	requesterTokenId: string;
	/** The requester's upload, not yet in a message: theirs alone to download. */
	attachmentId: string;
};

interface Case {
	scope: Access;
	/** Which id goes in the path. */
	id?: (w: World) => string;
	json?: (w: World) => unknown;
	/** A multipart body (an upload) instead of JSON. */
	form?: () => FormData;
	query?: string;
	/** The success status for a caller the endpoint lets in. */
	ok: number;
}

const contractOf = (w: World) => w.contract.id;
const textFile = () => {
	const form = new FormData();
	form.set('file', new Blob(['Pickup at 9, gate code at the desk.\n']), 'note.txt');
	return form;
};
const MATRIX: Record<string, Case> = {
	'POST /api/contracts/{id}/attachments': {
		scope: 'messages:write',
		id: contractOf,
		form: textFile,
		ok: 201
	},
	'GET /api/attachments/{id}': { scope: 'messages:read', id: (w) => w.attachmentId, ok: 200 },
	'GET /api/contracts/{id}/messages': { scope: 'messages:read', id: contractOf, ok: 200 },
	'POST /api/contracts/{id}/messages': {
		scope: 'messages:write',
		id: contractOf,
		json: () => ({ body: 'Sent with a token' }),
		ok: 201
	},
	'GET /api/contracts/{id}/thread': { scope: 'messages:read', id: contractOf, ok: 200 },
	'PATCH /api/contracts/{id}/thread': {
		scope: 'messages:write',
		id: contractOf,
		json: () => ({ status: 'resolved' }),
		ok: 200
	},
	'PUT /api/contracts/{id}/thread/read': { scope: 'messages:write', id: contractOf, ok: 200 },
	'PUT /api/contracts/{id}/thread/archive': { scope: 'messages:write', id: contractOf, ok: 200 },
	'DELETE /api/contracts/{id}/thread/archive': { scope: 'messages:write', id: contractOf, ok: 200 },
	'PUT /api/contracts/{id}/thread/mute': { scope: 'messages:write', id: contractOf, ok: 200 },
	'DELETE /api/contracts/{id}/thread/mute': { scope: 'messages:write', id: contractOf, ok: 200 },
	'PUT /api/messages/{id}/read': { scope: 'messages:write', id: (w) => w.theirMessageId, ok: 204 },
	'PUT /api/messages/{id}/unread': {
		scope: 'messages:write',
		id: (w) => w.theirMessageId,
		ok: 204
	},
	'PATCH /api/messages/{id}': {
		scope: 'messages:write',
		id: (w) => w.ownMessageId,
		json: () => ({ body: 'Edited with a token' }),
		ok: 200
	},
	'DELETE /api/messages/{id}': { scope: 'messages:write', id: (w) => w.ownMessageId, ok: 204 },
	'GET /api/messages/unread-count': { scope: 'messages:read', ok: 200 },
	'GET /api/messages/stream': { scope: 'messages:read', ok: 200 },
	'POST /api/contracts/{id}/typing': { scope: 'messages:write', id: contractOf, ok: 204 },
	'GET /api/messages/inbox': { scope: 'messages:read', ok: 200 },
	'GET /api/messages/search': { scope: 'messages:read', query: '?q=requester', ok: 200 },
	'GET /api/providers/{userId}/response-metrics': {
		scope: 'messages:read',
		id: (w) => w.provider.id,
		ok: 200
	},
	'GET /api/contracts': { scope: 'contracts:read', ok: 200 },
	'POST /api/contracts': {
		scope: 'session',
		json: (w) => ({ offeringId: w.offering.id }),
		ok: 201
	},
	'GET /api/contracts/{id}': { scope: 'contracts:read', id: contractOf, ok: 200 },
	'PATCH /api/contracts/{id}': {
		scope: 'session',
		id: contractOf,
		json: () => ({ status: 'cancelled' }),
		ok: 200
	},
	'GET /api/tokens': { scope: 'session', ok: 200 },
	'POST /api/tokens': {
		scope: 'session',
		json: () => ({ name: 'x', scopes: ['messages:read'], kind: 'personal', expiresInDays: 30 }),
		ok: 201
	},
	'DELETE /api/tokens/{id}': { scope: 'session', id: (w) => w.requesterTokenId, ok: 204 },
	// The assistant (with the SDK's mock model): a token that may read a conversation may ask for a
	// draft, a translation or a summary (409: this one is too short); settings are the session's.
	'POST /api/contracts/{id}/assistant/draft': { scope: 'messages:read', id: contractOf, ok: 200 },
	'DELETE /api/contracts/{id}/assistant/draft': { scope: 'session', id: contractOf, ok: 204 },
	'POST /api/contracts/{id}/assistant/summary': { scope: 'messages:read', id: contractOf, ok: 409 },
	'GET /api/contracts/{id}/assistant': { scope: 'session', id: contractOf, ok: 200 },
	'POST /api/contracts/{id}/assistant/resume': { scope: 'session', id: contractOf, ok: 204 },
	'POST /api/contracts/{id}/assistant/stop': { scope: 'session', id: contractOf, ok: 204 },
	'GET /api/messages/{id}/translation': {
		scope: 'messages:read',
		id: (w) => w.theirMessageId,
		query: '?lang=de',
		ok: 200
	},
	'GET /api/assistant': { scope: 'session', ok: 200 },
	'PUT /api/assistant': {
		scope: 'session',
		json: () => ({ mode: 'auto', instructions: '', facts: '', delayMinutes: 10 }),
		ok: 200
	},
	'GET /api/assistant/offerings': { scope: 'session', ok: 200 },
	'GET /api/offerings/{id}/assistant': { scope: 'session', id: (w) => w.offering.id, ok: 200 },
	'PUT /api/offerings/{id}/assistant': {
		scope: 'session',
		id: (w) => w.offering.id,
		json: () => ({ mode: 'draft', instructions: '', facts: 'Pickup 9-17.', delayMinutes: null }),
		ok: 200
	},
	'DELETE /api/offerings/{id}/assistant': { scope: 'session', id: (w) => w.offering.id, ok: 204 },
	'GET /api/assistant/language': { scope: 'session', ok: 200 },
	'PUT /api/assistant/language': { scope: 'session', json: () => ({ language: 'de' }), ok: 200 },
	'POST /api/messages/{id}/reports': {
		scope: 'session',
		id: (w) => w.theirMessageId,
		json: () => ({ reason: 'spam' }),
		ok: 201
	},
	'POST /api/users/{userId}/reports': {
		scope: 'session',
		id: (w) => w.provider.id,
		json: () => ({ reason: 'spam' }),
		ok: 201
	},
	'PUT /api/users/{userId}/block': { scope: 'session', id: (w) => w.provider.id, ok: 200 },
	'DELETE /api/users/{userId}/block': { scope: 'session', id: (w) => w.provider.id, ok: 200 },
	'GET /api/blocks': { scope: 'session', ok: 200 }
};

const ALL: ApiScope[] = ['messages:read', 'messages:write', 'contracts:read'];
const LIMITS = { perHour: 100 };

async function tokenFor(user: SessionUser, scopes: ApiScope[], kind: 'personal' | 'agent') {
	return createApiToken(t.db, user.id, { name: 'test', scopes, kind, expiresInDays: 30 }, LIMITS);
}

async function setUp() {
	const base = await makeWorld(t.db);
	const theirs = (await send(t.db, base.provider.id, base.contract.id, 'From the provider'))!;
	const own = (await send(t.db, base.requester.id, base.contract.id, 'From the requester'))!;
	const read = await tokenFor(base.requester, ['messages:read', 'contracts:read'], 'personal');
	const write = await tokenFor(base.requester, ALL, 'personal');
	const revoked = await tokenFor(base.requester, ALL, 'personal');
	await revokeApiToken(t.db, base.requester.id, revoked.id);
	const expired = await tokenFor(base.requester, ALL, 'personal');
	await t.db
		.update(apiTokens)
		.set({ expiresAt: sql`now() - interval '1 second'` })
		.where(eq(apiTokens.id, expired.id));
	const stranger = await tokenFor(base.stranger, ALL, 'personal');
	const upload = await createAttachment(
		t.db,
		base.requester.id,
		base.contract.id,
		new Request('http://localhost/upload', { method: 'POST', body: textFile() }),
		attachmentSettings()
	);
	const world: World = {
		...base,
		ownMessageId: own.id,
		theirMessageId: theirs.id,
		requesterTokenId: read.id,
		attachmentId: upload!.id
	};
	return { world, tokens: { read, write, revoked, expired, stranger } };
}

function call(api: Endpoint, spec: Case, world: World, token: string | null): Promise<Response> {
	const { path, method } = api.declaration;
	const params: Record<string, string> = {};
	const name = Object.keys(api.declaration.params)[0];
	if (name && spec.id) params[name] = spec.id(world);
	const headers = new Headers(token === null ? {} : { authorization: `Bearer ${token}` });
	const json = spec.json?.(world);
	if (json !== undefined) headers.set('content-type', 'application/json');
	const form = spec.form?.();
	const abort = new AbortController();
	aborts.push(abort);
	const url = new URL(
		path.replace(/\{\w+\}/, params[name ?? ''] ?? '') + (spec.query ?? ''),
		'http://localhost'
	);
	const event: ApiEvent = {
		request: new Request(url, {
			method,
			headers,
			body: form ?? (json === undefined ? undefined : JSON.stringify(json)),
			signal: abort.signal
		}),
		locals: { user: null, sessionId: null, requestId: 'test' },
		params,
		url
	};
	const hub = new LiveHub(t.database);
	hubs.push(hub);
	return api(t.db, event, { liveHub: () => hub, ai: () => aiWith(textModel('A reply.')) });
}

async function expectError(response: Response, status: number, code: string, what: string) {
	expect(response.status, what).toBe(status);
	expect((await response.json()).error.code, what).toBe(code);
}

describe('API tokens on every JSON endpoint', () => {
	it('has a row here for every endpoint, with the scope its declaration states', () => {
		for (const api of ENDPOINTS) {
			const key = `${api.declaration.method} ${api.declaration.path}`;
			expect(MATRIX[key], `${key}: add it to the matrix`).toBeDefined();
			expect(api.declaration.scope, key).toBe(MATRIX[key]!.scope);
		}
	});

	for (const api of ENDPOINTS) {
		const key = `${api.declaration.method} ${api.declaration.path}`;
		const spec = MATRIX[key];
		if (!spec) continue;
		it(`${key} (${spec.scope})`, async () => {
			const { world, tokens } = await setUp();
			const as = (token: string | null) => call(api, spec, world, token);

			for (const [who, token] of [
				['no token', null],
				['revoked', tokens.revoked.token],
				['expired', tokens.expired.token]
			] as const) {
				await expectError(await as(token), 401, 'unauthorized', who);
			}

			const readResponse = await as(tokens.read.token);
			if (spec.scope !== 'session' && tokens.read.scopes.includes(spec.scope)) {
				expect(readResponse.status, 'read-only token').toBe(spec.ok);
			} else {
				expect(readResponse.status, 'read-only token').toBe(403);
				expect(await readResponse.json()).toMatchObject({
					error: { code: 'insufficient_scope', details: { requiredScope: spec.scope } }
				});
			}

			const strangerResponse = await as(tokens.stranger.token);
			if (spec.scope === 'session') {
				await expectError(strangerResponse, 403, 'insufficient_scope', 'stranger');
			} else if (spec.id && !key.includes('response-metrics')) {
				// Another user's contract or message: the same 404 as one that does not exist.
				await expectError(strangerResponse, 404, 'not_found', 'another user’s contract');
			} else {
				expect(strangerResponse.status, 'stranger on their own data').toBe(spec.ok);
			}

			const writeResponse = await as(tokens.write.token);
			if (spec.scope === 'session') {
				await expectError(writeResponse, 403, 'insufficient_scope', 'write token');
			} else {
				expect(writeResponse.status, 'write token').toBe(spec.ok);
			}
		});
	}

	it('refuses a write with a read-only token before anything is stored', async () => {
		const { world, tokens } = await setUp();
		const count = async () => (await t.db.select({ id: messages.id }).from(messages)).length;
		const before = await count();
		const response = await call(
			postMessage,
			MATRIX['POST /api/contracts/{id}/messages']!,
			world,
			tokens.read.token
		);
		expect(response.status).toBe(403);
		expect((await response.json()).error.message).toContain('messages:write');
		expect(await count()).toBe(before);
	});
});

describe('an agent token', () => {
	it('posts as the assistant acting for its user, labelled for both sides, never the user’s response', async () => {
		const { provider, requester, contract } = await makeWorld(t.db);
		await send(t.db, requester.id, contract.id, 'Is the GPU box free in May?');
		const agent = await createApiToken(
			t.db,
			provider.id,
			{ name: 'Helper', scopes: ALL, kind: 'agent', expiresInDays: null },
			LIMITS
		);
		const world = { contract } as World;
		const spec: Case = {
			scope: 'messages:write',
			id: contractOf,
			json: () => ({ body: 'Yes, all of May.' }),
			ok: 201
		};
		const response = await call(postMessage, spec, world, agent.token);
		expect(response.status).toBe(201);
		const posted = messageSchema.parse(await response.json());
		const label = `Helper for ${provider.displayName}`;
		expect(posted).toMatchObject({
			senderRole: 'assistant',
			senderId: null,
			senderName: label,
			isOwn: false
		});
		const [row] = await t.db
			.select({
				senderRole: messages.senderRole,
				agentId: messages.agentId,
				actingForId: messages.actingForId
			})
			.from(messages)
			.where(eq(messages.id, posted.id));
		expect(row).toMatchObject({
			senderRole: 'assistant',
			agentId: agent.id,
			actingForId: provider.id
		});

		// Both parties see the label.
		for (const viewer of [requester, provider]) {
			const page = await getMessages(t.db, {
				request: new Request('http://localhost/x'),
				locals: { user: viewer, sessionId: null, requestId: 'test' },
				params: { id: contract.id },
				url: new URL('http://localhost/x')
			});
			const { messages: shown } = (await page.json()) as { messages: { senderName: string }[] };
			expect(shown.at(-1)!.senderName).toBe(label);
		}

		// Not the provider's response, and the provider has still not read the renter's question.
		expect(await getProviderResponseMetrics(t.db, provider.id, 30)).toMatchObject({
			totalThreads: 1,
			respondedThreads: 0
		});
		expect(await getUnreadCount(t.db, provider.id)).toBe(2);

		// The renter's email names the assistant the same way, and the provider gets none about it.
		await processDueNotifications(
			t.db,
			{ delaySeconds: 0, cooldownSeconds: 900 },
			{
				from: 'Parley <notify@parley.test>',
				resendApiKey: null,
				resendBaseUrl: null,
				sendTimeoutMs: 2000,
				publicOrigin: 'https://parley.test'
			},
			Date.now() + 30_000
		);
		const emailed = await t.db
			.select({ recipientId: emailQueue.recipientId, subject: emailQueue.subject })
			.from(emailQueue);
		expect(emailed.find((e) => e.recipientId === requester.id)?.subject).toBe(
			`New message from ${label} about "GPU box"`
		);
		expect(emailed.find((e) => e.recipientId === provider.id)?.subject).toBe(
			`New message from ${requester.displayName} about "GPU box"`
		);

		// The label stays when the token is revoked.
		await revokeApiToken(t.db, provider.id, agent.id);
		const later = await getMessages(t.db, {
			request: new Request('http://localhost/x'),
			locals: { user: requester, sessionId: null, requestId: 'test' },
			params: { id: contract.id },
			url: new URL('http://localhost/x')
		});
		expect(
			((await later.json()) as { messages: { senderName: string }[] }).messages.at(-1)!.senderName
		).toBe(label);
	});

	it('a personal token posts as the user: their own message, and a response', async () => {
		const { provider, requester, contract } = await makeWorld(t.db);
		await send(t.db, requester.id, contract.id, 'Is the GPU box free in May?');
		const personal = await tokenFor(provider, ALL, 'personal');
		const spec: Case = {
			scope: 'messages:write',
			id: contractOf,
			json: () => ({ body: 'Yes.' }),
			ok: 201
		};
		const response = await call(postMessage, spec, { contract } as World, personal.token);
		expect(await response.json()).toMatchObject({
			senderRole: 'user',
			senderId: provider.id,
			senderName: provider.displayName,
			isOwn: true
		});
		expect(await getProviderResponseMetrics(t.db, provider.id, 30)).toMatchObject({
			respondedThreads: 1
		});
		expect(await getUnreadCount(t.db, provider.id)).toBe(0);
	});
});
