import { describe, expect, it } from 'vitest';
import { getConfig } from '../src/lib/server/config';
import { messages } from '../src/lib/server/db/schema';
import { createContract } from '../src/lib/server/http/contracts-api';
import { postMessage, postTyping } from '../src/lib/server/http/messaging-api';
import * as limits from '../src/lib/server/limits';
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
		const { requester } = await makeWorld(t.db);
		const settings = { ...getConfig().limits, messagesPerDay: 3 };
		for (let i = 0; i < 3; i++) await limits.enforceMessageLimits(t.db, requester.id, settings);
		const err = await limits
			.enforceMessageLimits(t.db, requester.id, settings)
			.catch((e: unknown) => e);
		expect(err).toBeInstanceOf(rateLimit.RateLimitedError);
		expect((err as Error).message).toMatch(/3 messages today/);
		expect((err as rateLimit.RateLimitedError).retryAfterSeconds).toBeGreaterThan(23 * 3600);
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
