import { eq, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUser } from '../src/lib/server/auth';
import { rentOffering } from '../src/lib/server/contracts';
import { isAuthorizedCronCall, runMessageNotificationsCron } from '../src/lib/server/cron';
import { emailQueue, messageNotifications } from '../src/lib/server/db/schema';
import { emailSettings, notificationSettings } from '../src/lib/server/config';
import { MAX_ATTEMPTS } from '../src/lib/server/email/queue';
import { processDueNotifications } from '../src/lib/server/messaging/notifications';
import { setEmailNotifications, verifyUnsubscribeToken } from '../src/lib/server/email/unsubscribe';
import { send } from './helpers/messaging';
import { markThreadRead } from '../src/lib/server/messaging/read-state';
import { createOffering } from '../src/lib/server/offerings';
import { onPostgres, useTestDatabase } from './helpers/db';
import { startFakeResend } from './helpers/fake-resend';
import { makeWorld } from './helpers/fixtures';

const t = useTestDatabase();
let fake: Awaited<ReturnType<typeof startFakeResend>>;
beforeEach(async () => {
	fake = await startFakeResend();
});
afterEach(async () => {
	await fake.close();
});

function env(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
	return {
		NOTIFY_DELAY_SECONDS: '0',
		NOTIFY_COOLDOWN_SECONDS: '900',
		CRON_MAX_SECONDS: '50',
		RESEND_API_KEY: 're_test_key',
		RESEND_BASE_URL: fake.baseUrl,
		EMAIL_FROM: 'Parley <notify@parley.test>',
		ORIGIN: 'https://parley.test',
		EMAIL_SEND_TIMEOUT_MS: '2000',
		...overrides
	};
}
const cron = (overrides?: Record<string, string>) =>
	runMessageNotificationsCron(t.db, env(overrides));
const emails = () => t.db.select().from(emailQueue);
const dueNow = () => t.db.update(emailQueue).set({ nextAttemptAt: new Date(Date.now() - 1000) });

describe('the notification step', () => {
	it('waits NOTIFY_DELAY_SECONDS after the message', async () => {
		const { requester, contract } = await makeWorld(t.db);
		await send(t.db, requester.id, contract.id, 'Hello');
		expect(await cron({ NOTIFY_DELAY_SECONDS: '300' })).toMatchObject({ claimed: 0, sent: 0 });
		expect(fake.requests).toHaveLength(0);
		await t.db.update(messageNotifications).set({ createdAt: new Date(Date.now() - 301_000) });
		expect(await cron({ NOTIFY_DELAY_SECONDS: '300' })).toMatchObject({ claimed: 1, sent: 1 });
		expect(fake.requests).toHaveLength(1);
	});

	it('sends one digest for a burst, listing up to 5 messages and "and N more"', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		for (let i = 1; i <= 7; i++) await send(t.db, requester.id, contract.id, `Question ${i}`);
		expect(await cron()).toEqual({
			claimed: 7,
			sent: 1,
			skipped: 0,
			failed: 0,
			retried: 0,
			uploadsDeleted: 0
		});
		expect(fake.requests).toHaveLength(1);
		const request = fake.requests[0]!;
		expect(request.path).toBe('/emails');
		expect(request.headers.authorization).toBe('Bearer re_test_key');
		expect(request.headers['idempotency-key']).toMatch(/^message-notification\//);
		const body = request.body as Record<string, string> & {
			to: string | string[];
			headers: Record<string, string>;
		};
		expect(body.from).toBe('Parley <notify@parley.test>');
		expect([body.to].flat()).toEqual([provider.email]);
		expect(body.subject).toBe(`7 new messages from ${requester.displayName} about "GPU box"`);
		for (let i = 1; i <= 5; i++) expect(body.html).toContain(`Question ${i}`);
		expect(body.html).not.toContain('Question 6');
		expect(body.html).toContain('and 2 more');
		expect(body.text).toContain('and 2 more');
		expect(body.html).toContain(`https://parley.test/dashboard/rentals/${contract.id}/messages`);
		expect(body.headers['List-Unsubscribe']).toMatch(
			/^<https:\/\/parley\.test\/unsubscribe\/[^>]+>$/
		);
		expect(body.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
		const token = body.headers['List-Unsubscribe']!.slice(1, -1).split('/').pop()!;
		expect(verifyUnsubscribeToken(token)).toBe(provider.id);
		expect(verifyUnsubscribeToken(token.slice(0, -2) + 'xx')).toBeNull();
		const rows = await t.db.select().from(messageNotifications);
		expect(rows.every((r) => r.status === 'sent' && r.emailQueueId && r.sentAt)).toBe(true);
	});

	it('skips messages the recipient has read, and recipients who turned email off', async () => {
		const a = await makeWorld(t.db);
		await send(t.db, a.requester.id, a.contract.id, 'Read in time');
		await markThreadRead(t.db, a.provider.id, a.contract.id);
		const b = await makeWorld(t.db);
		await send(t.db, b.requester.id, b.contract.id, 'Nobody wants email');
		await setEmailNotifications(t.db, b.provider.id, false);
		expect(await cron()).toMatchObject({ claimed: 2, skipped: 2, sent: 0 });
		expect(fake.requests).toHaveLength(0);
		const reasons = (await t.db.select().from(messageNotifications))
			.map((r) => r.skipReason)
			.sort();
		expect(reasons).toEqual(['notifications_off', 'read']);
	});

	it('never emails about system messages', async () => {
		const { provider, contract } = await makeWorld(t.db);
		const { transitionContract } = await import('../src/lib/server/contracts');
		await transitionContract(t.db, provider.id, contract.id, 'accept');
		expect(await t.db.select().from(messageNotifications)).toHaveLength(0);
		expect(await cron()).toMatchObject({ claimed: 0, sent: 0 });
	});

	it('sends at most one email per recipient and thread per cooldown', async () => {
		const { requester, contract } = await makeWorld(t.db);
		await send(t.db, requester.id, contract.id, 'first');
		expect((await cron()).sent).toBe(1);
		await send(t.db, requester.id, contract.id, 'second');
		expect(await cron()).toMatchObject({ claimed: 0, sent: 0 });
		expect(fake.requests).toHaveLength(1);
		// Once the cooldown has passed, the waiting message goes out.
		await t.db
			.update(messageNotifications)
			.set({ sentAt: new Date(Date.now() - 901_000), lockedUntil: new Date(Date.now() - 1000) })
			.where(eq(messageNotifications.status, 'sent'));
		await t.db
			.update(messageNotifications)
			.set({ lockedUntil: new Date(Date.now() - 1000) })
			.where(eq(messageNotifications.status, 'pending'));
		expect((await cron()).sent).toBe(1);
		expect(fake.requests).toHaveLength(2);
		expect(fake.requests[1]!.body.html).toContain('second');
		expect(fake.requests[1]!.body.html).not.toContain('first');
	});

	it('escapes what users wrote and keeps CR/LF out of the subject', async () => {
		const provider = await createUser(
			t.db,
			{
				email: 'p@example.test',
				displayName: 'Paul',
				password: 'x'.repeat(10)
			},
			{ confirmed: true }
		);
		const requester = await createUser(
			t.db,
			{
				email: 'eve@example.test',
				displayName: 'Eve\r\nBcc: victim@example.test',
				password: 'x'.repeat(10)
			},
			{ confirmed: true }
		);
		const offering = await createOffering(t.db, provider.id, {
			name: 'Van "XL"\r\n<b>',
			description: 'd',
			monthlyPrice: 1
		});
		const contract = (await rentOffering(t.db, requester.id, offering.id))!;
		await send(
			t.db,
			requester.id,
			contract.id,
			'<script>alert("x")</script> & <img src=x onerror=alert(1)>'
		);
		await cron();
		const body = fake.requests[0]!.body as Record<string, string>;
		expect(body.subject).not.toMatch(/[\r\n]/);
		expect(body.subject).toBe('New message from Eve Bcc: victim@example.test about "Van "XL" <b>"');
		expect(body.html).not.toContain('<script>');
		expect(body.html).not.toContain('<img src=x');
		expect(body.html).toContain(
			'&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;'
		);
		expect(body.html).toContain('Van &quot;XL&quot; &lt;b&gt;');
	});

	it('cuts previews at 200 characters without splitting an emoji', async () => {
		const { requester, contract } = await makeWorld(t.db);
		const family = '👨‍👩‍👧‍👦';
		await send(t.db, requester.id, contract.id, 'a'.repeat(199) + family + 'tail that is cut');
		await cron();
		const html = String(fake.requests[0]!.body.html);
		expect(html).toContain('a'.repeat(199) + family + '…');
		expect(html).not.toContain('tail');
		expect(String(fake.requests[0]!.body.text)).toContain(family + '…');
	});
});

describe('the email queue', () => {
	async function queueOne() {
		const { requester, contract } = await makeWorld(t.db);
		await send(t.db, requester.id, contract.id, 'Hello');
	}

	it('retries a 429 after retry-after, then succeeds with the same idempotency key', async () => {
		await queueOne();
		fake.script.push({ kind: 'status', status: 429, retryAfter: 120 });
		expect(await cron()).toMatchObject({ sent: 0, retried: 1 });
		const [row] = await emails();
		expect(row!.status).toBe('pending');
		expect(row!.attempts).toBe(1);
		const wait = row!.nextAttemptAt.getTime() - Date.now();
		expect(wait).toBeGreaterThan(110_000);
		expect(wait).toBeLessThanOrEqual(120_000);
		expect(await cron()).toMatchObject({ sent: 0, retried: 0 });
		await dueNow();
		expect(await cron()).toMatchObject({ sent: 1 });
		expect(fake.requests).toHaveLength(2);
		expect(fake.requests[0]!.headers['idempotency-key']).toBe(
			fake.requests[1]!.headers['idempotency-key']
		);
		const [sent] = await emails();
		expect(sent).toMatchObject({ status: 'sent', attempts: 2, providerMessageId: 'email_1' });
	});

	it('backs off exponentially on 5xx and gives up after 8 attempts', async () => {
		await queueOne();
		const waits: number[] = [];
		for (let i = 0; i < MAX_ATTEMPTS; i++) fake.script.push({ kind: 'status', status: 500 });
		for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
			const result = await cron();
			const [row] = await emails();
			if (attempt < MAX_ATTEMPTS) {
				expect(result.retried).toBe(1);
				waits.push(Math.round((row!.nextAttemptAt.getTime() - Date.now()) / 60_000));
				await dueNow();
			} else {
				expect(result.failed).toBe(1);
				expect(row!.status).toBe('failed');
				expect(row!.lastError).toContain('500');
			}
		}
		expect(waits).toEqual([1, 2, 4, 8, 16, 32, 64]);
		expect(fake.requests).toHaveLength(MAX_ATTEMPTS);
		expect(new Set(fake.requests.map((r) => r.headers['idempotency-key'])).size).toBe(1);
	});

	it('fails at once on another 4xx', async () => {
		await queueOne();
		fake.script.push({ kind: 'status', status: 422, name: 'validation_error' });
		expect(await cron()).toMatchObject({ failed: 1, retried: 0 });
		const [row] = await emails();
		expect(row).toMatchObject({ status: 'failed', attempts: 1 });
		expect(fake.requests).toHaveLength(1);
	});

	it('retries a provider that hangs', async () => {
		await queueOne();
		fake.script.push({ kind: 'hang' });
		expect(await cron({ EMAIL_SEND_TIMEOUT_MS: '300' })).toMatchObject({ retried: 1 });
		await dueNow();
		expect(await cron()).toMatchObject({ sent: 1 });
	});

	it('reclaims an email whose run crashed after claiming it, once the lease expires', async () => {
		await queueOne();
		// What a run leaves behind when it dies mid-send: attempt counted, lease held.
		await processDueNotifications(
			t.db,
			notificationSettings(env()),
			emailSettings(env()),
			Date.now() + 10_000
		);
		expect(await emails()).toHaveLength(1);
		await t.db
			.update(emailQueue)
			.set({ attempts: 1, lockedUntil: new Date(Date.now() + 60_000), status: 'pending' });
		expect(await cron()).toMatchObject({ sent: 0 });
		expect(fake.requests).toHaveLength(0);
		await t.db.update(emailQueue).set({ lockedUntil: new Date(Date.now() - 1000) });
		expect(await cron()).toMatchObject({ sent: 1 });
		const [row] = await emails();
		expect(row).toMatchObject({ status: 'sent', attempts: 2 });
	});

	it('records emails as logged when no RESEND_API_KEY is set', async () => {
		await queueOne();
		expect(await cron({ RESEND_API_KEY: '' })).toMatchObject({ sent: 1 });
		expect(fake.requests).toHaveLength(0);
		expect((await emails())[0]!.status).toBe('logged');
	});

	it('sends each email exactly once with 16 concurrent cron runs over 1,000 due notifications', async () => {
		const threads = onPostgres() ? 50 : 10;
		const perThread = onPostgres() ? 20 : 10;
		const worlds = [];
		for (let i = 0; i < threads; i++) worlds.push(await makeWorld(t.db));
		await t.db.execute(sql`select 1`);
		for (const w of worlds) {
			for (let j = 0; j < perThread; j++) await send(t.db, w.requester.id, w.contract.id, `m${j}`);
		}
		const runs = await Promise.all(Array.from({ length: 16 }, () => cron()));
		const total = runs.reduce(
			(sum, r) => ({ claimed: sum.claimed + r.claimed, sent: sum.sent + r.sent }),
			{ claimed: 0, sent: 0 }
		);
		expect(total).toEqual({ claimed: threads * perThread, sent: threads });
		expect(fake.requests).toHaveLength(threads);
		expect(new Set(fake.requests.map((r) => r.headers['idempotency-key'])).size).toBe(threads);
		const rows = await emails();
		expect(rows).toHaveLength(threads);
		expect(rows.every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);
		const pending = await t.db
			.select()
			.from(messageNotifications)
			.where(eq(messageNotifications.status, 'pending'));
		expect(pending).toHaveLength(0);
	}, 120_000);
});

describe('cron authorization', () => {
	it('accepts only the exact bearer secret', () => {
		expect(isAuthorizedCronCall('Bearer s3cret-value', 's3cret-value')).toBe(true);
		expect(isAuthorizedCronCall('Bearer s3cret-valuE', 's3cret-value')).toBe(false);
		expect(isAuthorizedCronCall('s3cret-value', 's3cret-value')).toBe(false);
		expect(isAuthorizedCronCall(null, 's3cret-value')).toBe(false);
		expect(isAuthorizedCronCall('Bearer ', 's3cret-value')).toBe(false);
	});
});
