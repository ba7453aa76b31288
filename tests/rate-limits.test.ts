import { describe, expect, it } from 'vitest';
import { getConfig } from '../src/lib/server/config';
import { messages } from '../src/lib/server/db/schema';
import { createContract } from '../src/lib/server/http/contracts-api';
import { postMessage, postTyping } from '../src/lib/server/http/messaging-api';
import * as limits from '../src/lib/server/limits';
import { appendMessage, listInbox } from '../src/lib/server/messaging';
import * as rateLimit from '../src/lib/server/rate-limit';
import { useTestDatabase } from './helpers/db';
import { apiEvent, makeWorld } from './helpers/fixtures';

// Issue #13, finding 5: 300 messages in 8 s, 300 typing events, 30 sign-ups in 2.8 s from one IP.
const t = useTestDatabase();

async function expect429(response: Response, text: RegExp) {
	expect(response.status).toBe(429);
	const retryAfter = Number(response.headers.get('retry-after'));
	expect(retryAfter).toBeGreaterThan(0);
	const body = await response.json();
	expect(body).toMatchObject({
		error: { code: 'rate_limited', details: { retryAfterSeconds: retryAfter } }
	});
	expect(body.error.message).toMatch(text);
}

describe('rate limits', () => {
	it('counts concurrent hits atomically in Postgres: 50 at once, exactly 10 within a limit of 10', async () => {
		const states = await Promise.all(
			Array.from({ length: 50 }, () =>
				rateLimit.hitLimits(t.db, [{ key: 'test:parallel', max: 10, windowSeconds: 60 }])
			)
		);
		const within = states.filter(([s]) => s!.hits <= s!.max).length;
		expect(within).toBe(10);
		expect(states.map(([s]) => s!.hits).sort((a, b) => a - b)).toEqual(
			Array.from({ length: 50 }, (_, i) => i + 1)
		);
	});

	it('refuses the 31st message in a minute with 429, Retry-After and a clear message; nothing is stored', async () => {
		const { requester, contract } = await makeWorld(t.db);
		const perMinute = getConfig().limits?.messagesPerMinute ?? 30;
		const params = { id: contract.id };
		for (let i = 0; i < perMinute; i++) {
			const response = await postMessage(
				t.db,
				apiEvent(requester, { method: 'POST', params, json: { body: `m${i}` } })
			);
			expect(response.status).toBe(201);
		}
		const refused = await postMessage(
			t.db,
			apiEvent(requester, { method: 'POST', params, json: { body: 'one too many' } })
		);
		await expect429(refused, /faster than 30 a minute/);
		expect(await t.db.$count(messages)).toBe(perMinute);
	});

	it('has a daily message limit too', async () => {
		const { requester, contract } = await makeWorld(t.db);
		const daily = limits.messageLimits(requester.id, { ...getConfig().limits, messagesPerDay: 3 });
		const send = (body: string) =>
			appendMessage(t.db, { kind: 'user', userId: requester.id }, contract.id, {
				body,
				limits: daily
			});
		for (let i = 0; i < 3; i++) await send(`m${i}`);
		const err = await send('one too many').catch((e: unknown) => e);
		expect(err).toBeInstanceOf(rateLimit.RateLimitedError);
		expect((err as Error).message).toMatch(/3 messages today/);
		expect((err as rateLimit.RateLimitedError).retryAfterSeconds).toBeGreaterThan(23 * 3600);
		expect(await t.db.$count(messages)).toBe(3);
	});

	it('counts sends in the same call as the send: 20 at once under a limit of 5 store exactly 5', async () => {
		const { requester, contract, provider } = await makeWorld(t.db);
		const five = limits.messageLimits(requester.id, {
			...getConfig().limits,
			messagesPerMinute: 5
		});
		const results = await Promise.allSettled(
			Array.from({ length: 20 }, (_, i) =>
				appendMessage(t.db, { kind: 'user', userId: requester.id }, contract.id, {
					body: `parallel ${i}`,
					limits: five
				})
			)
		);
		expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
		for (const r of results) {
			if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(rateLimit.RateLimitedError);
		}
		expect(await t.db.$count(messages)).toBe(5);
		// The refused sends left no trace: the counter holds the 5 sent, the thread 5 unread.
		const [counter] = await rateLimit.hitLimits(t.db, [five.limits[0]!]);
		expect(counter!.hits).toBe(6);
		const inbox = await listInbox(t.db, provider.id, { limit: 10 });
		expect(inbox.threads[0]?.unreadCount).toBe(5);
	});

	it('counts no hit for a replayed send, nor for a stranger', async () => {
		const { requester, contract, stranger } = await makeWorld(t.db);
		const one = limits.messageLimits(requester.id, { ...getConfig().limits, messagesPerMinute: 1 });
		const send = () =>
			appendMessage(t.db, { kind: 'user', userId: requester.id }, contract.id, {
				body: 'once',
				idempotencyKey: 'k-1',
				limits: one
			});
		const first = await send();
		const retry = await send();
		expect(retry).toMatchObject({ replayed: true, message: { id: first!.message.id } });
		expect(
			await appendMessage(t.db, { kind: 'user', userId: stranger.id }, contract.id, {
				body: 'not mine',
				limits: limits.messageLimits(stranger.id)
			})
		).toBeNull();
		const [mine, theirs] = await rateLimit.hitLimits(t.db, [
			one.limits[0]!,
			limits.messageLimits(stranger.id).limits[0]!
		]);
		expect([mine!.hits, theirs!.hits]).toEqual([2, 1]);
	});

	it('limits typing events per user', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		const params = { id: contract.id };
		await postMessage(t.db, apiEvent(provider, { method: 'POST', params, json: { body: 'hi' } }));
		const perMinute = getConfig().limits?.typingPerMinute ?? 60;
		for (let i = 0; i < perMinute; i++) {
			const response = await postTyping(t.db, apiEvent(requester, { method: 'POST', params }));
			expect(response.status).toBe(204);
		}
		await expect429(
			await postTyping(t.db, apiEvent(requester, { method: 'POST', params })),
			/typing/
		);
	});

	it('limits rentals per user per day', async () => {
		const { stranger, offering } = await makeWorld(t.db);
		const perDay = getConfig().limits?.rentalsPerDay ?? 20;
		const rent = () =>
			createContract(
				t.db,
				apiEvent(stranger, { method: 'POST', json: { offeringId: offering.id } })
			);
		for (let i = 0; i < perDay; i++) expect((await rent()).status).toBe(201);
		await expect429(await rent(), /rental requests today/);
	});

	it('limits sign-ups per IP, whatever the address', async () => {
		const settings = { ...getConfig().limits, signupsPerIpPerHour: 2 };
		await limits.enforceSignupLimit(t.db, '5.5.5.5', settings);
		await limits.enforceSignupLimit(t.db, '5.5.5.5', settings);
		await expect(limits.enforceSignupLimit(t.db, '5.5.5.5', settings)).rejects.toBeInstanceOf(
			rateLimit.RateLimitedError
		);
		await expect(limits.enforceSignupLimit(t.db, '5.5.5.6', settings)).resolves.toBeUndefined();
	});
});
