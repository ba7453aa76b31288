import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
	apiTokenListSchema,
	createdTokenSchema,
	type CreateTokenInput
} from '../src/lib/schemas/api-tokens';
import {
	MAX_LIVE_TOKENS,
	createApiToken,
	hashApiToken,
	listApiTokens,
	resolveApiToken,
	revokeApiToken
} from '../src/lib/server/api-tokens';
import { apiTokens } from '../src/lib/server/db/schema';
import { deleteToken, getTokens, postToken } from '../src/lib/server/http/tokens-api';
import { useTestDatabase } from './helpers/db';
import { apiEvent, makeUser } from './helpers/fixtures';

const t = useTestDatabase();

const READ: CreateTokenInput = {
	name: 'script',
	scopes: ['messages:read'],
	kind: 'personal',
	expiresInDays: 90
};
const LIMITS = { perHour: 100 };

const rowOf = async (id: string) =>
	(await t.db.select().from(apiTokens).where(eq(apiTokens.id, id)))[0]!;

describe('creating a token', () => {
	it('answers the token once; the table keeps only its SHA-256 and a short prefix', async () => {
		const user = await makeUser(t.db);
		const created = await createApiToken(t.db, user.id, READ, LIMITS);
		expect(created.token).toMatch(/^parley_pat_[a-z2-7]{52}$/);
		expect(created).toMatchObject({ name: 'script', scopes: ['messages:read'], kind: 'personal' });
		expect(created.prefix).toBe(created.token.slice(0, 17));

		const row = await rowOf(created.id);
		expect(row.tokenHash).toBe(hashApiToken(created.token));
		expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
		expect(JSON.stringify(row)).not.toContain(created.token);
		const days = (new Date(created.expiresAt!).getTime() - Date.now()) / 86_400_000;
		expect(days).toBeGreaterThan(89.9);
		expect(days).toBeLessThan(90.1);

		const never = await createApiToken(t.db, user.id, { ...READ, expiresInDays: null }, LIMITS);
		expect(never.expiresAt).toBeNull();
		expect(await listApiTokens(t.db, user.id)).toMatchObject([
			{ id: never.id, lastUsedAt: null, expiresAt: null },
			{ id: created.id, prefix: created.prefix, scopes: ['messages:read'] }
		]);
	});

	it(`allows ${MAX_LIVE_TOKENS} live tokens; revoked and expired ones do not count`, async () => {
		const user = await makeUser(t.db);
		const made = [];
		for (let i = 0; i < MAX_LIVE_TOKENS; i++) {
			made.push(await createApiToken(t.db, user.id, { ...READ, name: `t${i}` }, LIMITS));
		}
		await expect(createApiToken(t.db, user.id, READ, LIMITS)).rejects.toMatchObject({
			status: 409,
			code: 'conflict'
		});
		await revokeApiToken(t.db, user.id, made[0]!.id);
		await t.db
			.update(apiTokens)
			.set({ expiresAt: sql`now() - interval '1 second'` })
			.where(eq(apiTokens.id, made[1]!.id));
		await createApiToken(t.db, user.id, READ, LIMITS);
		await createApiToken(t.db, user.id, READ, LIMITS);
		await expect(createApiToken(t.db, user.id, READ, LIMITS)).rejects.toMatchObject({
			status: 409
		});
	});

	it('is rate-limited per user and hour, in the database, also under concurrent requests', async () => {
		const user = await makeUser(t.db);
		const other = await makeUser(t.db);
		const results = await Promise.allSettled(
			Array.from({ length: 8 }, () => createApiToken(t.db, user.id, READ, { perHour: 3 }))
		);
		expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
		const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
		expect(refused.reason).toMatchObject({ status: 429, code: 'rate_limited' });
		const retry = (refused.reason as { details: { retryAfterSeconds: number } }).details;
		expect(retry.retryAfterSeconds).toBeGreaterThan(3500);
		// Revoking does not reopen the window; another user has their own.
		const [first] = await listApiTokens(t.db, user.id);
		await revokeApiToken(t.db, user.id, first!.id);
		await expect(createApiToken(t.db, user.id, READ, { perHour: 3 })).rejects.toMatchObject({
			status: 429
		});
		await createApiToken(t.db, other.id, READ, { perHour: 3 });
		// An hour later it reopens.
		await t.db
			.update(apiTokens)
			.set({ createdAt: sql`now() - interval '61 minutes'` })
			.where(eq(apiTokens.userId, user.id));
		await createApiToken(t.db, user.id, READ, { perHour: 3 });
	});
});

describe('resolving a token', () => {
	it('finds the user and the token, and refuses revoked, expired and unknown tokens alike', async () => {
		const user = await makeUser(t.db);
		const created = await createApiToken(t.db, user.id, { ...READ, kind: 'agent' }, LIMITS);
		expect(await resolveApiToken(t.db, created.token)).toEqual({
			user: expect.objectContaining({ id: user.id, displayName: user.displayName }),
			token: { id: created.id, kind: 'agent', name: 'script', scopes: ['messages:read'] }
		});
		const last = created.token.at(-1) === 'a' ? 'b' : 'a';
		expect(await resolveApiToken(t.db, created.token.slice(0, -1) + last)).toBeNull();
		expect(await resolveApiToken(t.db, 'parley_pat_short')).toBeNull();
		expect(await resolveApiToken(t.db, '')).toBeNull();

		const expiring = await createApiToken(t.db, user.id, READ, LIMITS);
		await t.db
			.update(apiTokens)
			.set({ expiresAt: sql`now() - interval '1 second'` })
			.where(eq(apiTokens.id, expiring.id));
		expect(await resolveApiToken(t.db, expiring.token)).toBeNull();

		expect(await revokeApiToken(t.db, user.id, created.id)).toBe('script');
		expect(await resolveApiToken(t.db, created.token)).toBeNull();
		// Revoking again is fine; another user's token is not theirs to revoke.
		expect(await revokeApiToken(t.db, user.id, created.id)).toBe('script');
		const other = await makeUser(t.db);
		expect(await revokeApiToken(t.db, other.id, expiring.id)).toBeNull();
	});

	it('writes last_used_at at most once a minute', async () => {
		const user = await makeUser(t.db);
		const created = await createApiToken(t.db, user.id, READ, LIMITS);
		await resolveApiToken(t.db, created.token);
		const first = (await rowOf(created.id)).lastUsedAt;
		expect(first).not.toBeNull();
		for (let i = 0; i < 5; i++) await resolveApiToken(t.db, created.token);
		// Each write would have stored that statement's now(): the value has not moved.
		expect((await rowOf(created.id)).lastUsedAt).toEqual(first);

		await t.db
			.update(apiTokens)
			.set({ lastUsedAt: sql`now() - interval '61 seconds'` })
			.where(eq(apiTokens.id, created.id));
		const old = (await rowOf(created.id)).lastUsedAt!;
		await Promise.all([1, 2, 3].map(() => resolveApiToken(t.db, created.token)));
		expect((await rowOf(created.id)).lastUsedAt!.getTime()).toBeGreaterThan(old.getTime() + 60_000);
	});
});

describe('the token endpoints', () => {
	const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

	it('create (201), list and revoke (204) with the session cookie', async () => {
		const user = await makeUser(t.db);
		const response = await postToken(
			t.db,
			apiEvent(user, {
				method: 'POST',
				json: {
					name: ' CI ',
					scopes: ['contracts:read', 'messages:read', 'messages:read'],
					kind: 'personal',
					expiresInDays: 30
				}
			})
		);
		expect(response.status).toBe(201);
		expect(response.headers.get('cache-control')).toBe('no-store');
		const created = createdTokenSchema.parse(await response.json());
		expect(created).toMatchObject({
			name: 'CI',
			scopes: ['messages:read', 'contracts:read'],
			kind: 'personal'
		});

		const list = apiTokenListSchema.parse(await (await getTokens(t.db, apiEvent(user))).json());
		expect(list.tokens).toHaveLength(1);
		expect(list.tokens[0]).not.toHaveProperty('token');
		expect(JSON.stringify(list)).not.toContain(created.token);

		const other = await makeUser(t.db);
		const del = (who: typeof user) =>
			deleteToken(t.db, apiEvent(who, { method: 'DELETE', params: { id: created.id } }));
		expect((await del(other)).status).toBe(404);
		expect((await del(user)).status).toBe(204);
		expect((await del(user)).status).toBe(204);
		expect(await resolveApiToken(t.db, created.token)).toBeNull();
		expect(
			(await deleteToken(t.db, apiEvent(user, { method: 'DELETE', params: { id: 'nope' } }))).status
		).toBe(404);
	});

	it('refuse bad input with 400 and field errors', async () => {
		const user = await makeUser(t.db);
		for (const json of [
			{ name: '', scopes: ['messages:read'], kind: 'personal', expiresInDays: 30 },
			{ name: 'x', scopes: [], kind: 'personal', expiresInDays: 30 },
			{ name: 'x', scopes: ['admin'], kind: 'personal', expiresInDays: 30 },
			{ name: 'x', scopes: ['messages:read'], kind: 'robot', expiresInDays: 30 },
			{ name: 'x', scopes: ['messages:read'], kind: 'agent', expiresInDays: 7 },
			{ name: 'x', scopes: ['messages:read'], kind: 'agent' }
		]) {
			const response = await postToken(t.db, apiEvent(user, { method: 'POST', json }));
			expect(response.status, JSON.stringify(json)).toBe(400);
			expect((await response.json()).error.code).toBe('invalid_body');
		}
		expect(await listApiTokens(t.db, user.id)).toEqual([]);
	});

	it('never take a token, whatever its scopes: 403 insufficient_scope', async () => {
		const user = await makeUser(t.db);
		const all = await createApiToken(
			t.db,
			user.id,
			{ ...READ, scopes: ['messages:read', 'messages:write', 'contracts:read'] },
			LIMITS
		);
		const calls = [
			getTokens(t.db, apiEvent(user, { headers: bearer(all.token) })),
			postToken(t.db, apiEvent(null, { method: 'POST', headers: bearer(all.token), json: READ })),
			deleteToken(
				t.db,
				apiEvent(null, { method: 'DELETE', headers: bearer(all.token), params: { id: all.id } })
			)
		];
		for (const response of await Promise.all(calls)) {
			expect(response.status).toBe(403);
			expect(await response.json()).toMatchObject({
				error: { code: 'insufficient_scope', details: { requiredScope: 'session' } }
			});
		}
		expect(await listApiTokens(t.db, user.id)).toHaveLength(1);
	});
});
