import { eq, like } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
	InvalidCredentialsError,
	authenticate,
	createUser,
	validateSessionToken
} from '../src/lib/server/auth';
import { loadConfig } from '../src/lib/server/config';
import { rentOffering } from '../src/lib/server/contracts';
import { runMessageNotificationsCron } from '../src/lib/server/cron';
import {
	emailConfirmations,
	emailQueue,
	messageNotifications,
	rateLimitCounters,
	users
} from '../src/lib/server/db/schema';
import {
	confirmEmail,
	findEmailConfirmation,
	requestEmailConfirmation
} from '../src/lib/server/email-confirmation';
import { enqueueEmail } from '../src/lib/server/email/queue';
import { setUserRole } from '../src/lib/server/moderation/admin';
import { createOffering } from '../src/lib/server/offerings';
import { RateLimitedError } from '../src/lib/server/rate-limit';
import { signUp } from '../src/lib/server/signup';
import { useTestDatabase } from './helpers/db';
import { startFakeResend } from './helpers/fake-resend';
import { makeUser } from './helpers/fixtures';
import { send } from './helpers/messaging';

const t = useTestDatabase();
let fake: Awaited<ReturnType<typeof startFakeResend>>;
beforeEach(async () => {
	fake = await startFakeResend();
});
afterEach(async () => {
	await fake.close();
});

const env = (overrides: Record<string, string> = {}) => ({
	NOTIFY_DELAY_SECONDS: '0',
	NOTIFY_COOLDOWN_SECONDS: '0',
	RESEND_API_KEY: 're_test_key',
	RESEND_BASE_URL: fake.baseUrl,
	EMAIL_FROM: 'Parley <notify@parley.test>',
	ORIGIN: 'https://parley.test',
	EMAIL_SEND_TIMEOUT_MS: '2000',
	...overrides
});
const config = (overrides?: Record<string, string>) => loadConfig(env(overrides));
const cron = () => runMessageNotificationsCron(t.db, env());
type SentEmail = { to: string | string[]; subject: string; text: string; html: string };
const sentTo = (address: string) =>
	fake.requests
		.map((r) => r.body as unknown as SentEmail)
		.filter((body) => [body.to].flat().some((to) => to.toLowerCase() === address.toLowerCase()));
const PASSWORD = 'correct horse battery';
let ipCounter = 0;
const newSignUp = (email: string, name = 'Someone') =>
	signUp(
		t.db,
		{ email, displayName: name, password: PASSWORD },
		{ ip: `10.9.0.${++ipCounter}` },
		config()
	);

/** The link in the newest confirmation email to `address`, as its owner would click it. */
function linkTokenFor(address: string): string {
	const email = sentTo(address)
		.filter((e) => e.subject === 'Confirm your email address for Parley')
		.at(-1);
	expect(email, `a confirmation email to ${address}`).toBeDefined();
	const match = /https:\/\/parley\.test\/confirm-email\/([a-z2-7]+)/.exec(email!.text);
	expect(email!.html).toContain(match![0]);
	return match![1]!;
}

/** The cooldown is over (as if its window had passed). */
const afterCooldown = () =>
	t.db
		.delete(rateLimitCounters)
		.where(like(rateLimitCounters.key, 'email-confirmation:cooldown:%'));

// Issue #13, finding 4: an attacker signed up a victim's address, rented their own offering five
// times and had Parley send five phishing digests to it.
describe('an address nobody has confirmed', () => {
	it('gets no message digest, however much traffic an attacker makes, until its owner confirms it', async () => {
		const attacker = await makeUser(t.db, 'Attacker');
		const victim = 'victim@example.org';
		const signed = await newSignUp(victim, 'Victim');
		const account = (await validateSessionToken(t.db, signed.sessionToken)).user!;
		expect(account.emailConfirmed).toBe(false);
		const offering = await createOffering(t.db, attacker.id, {
			name: 'Bait',
			description: 'Click the link.',
			monthlyPrice: 100
		});
		const contracts = [];
		for (let i = 0; i < 5; i++) {
			const contract = (await rentOffering(t.db, account.id, offering.id))!;
			contracts.push(contract);
			await send(
				t.db,
				attacker.id,
				contract.id,
				`Urgent: verify your payment at evil.example #${i}`
			);
		}
		await cron();
		// The one email the address got is the link, which says what it is and does nothing unless clicked.
		expect(sentTo(victim).map((e) => e.subject)).toEqual(['Confirm your email address for Parley']);
		const skipped = await t.db.select().from(messageNotifications);
		expect(skipped).toHaveLength(5);
		expect(
			skipped.every((n) => n.status === 'skipped' && n.skipReason === 'email_unconfirmed')
		).toBe(true);

		// The owner clicks the link: from then on, messages are emailed.
		expect(await confirmEmail(t.db, linkTokenFor(victim))).toMatchObject({
			status: 'confirmed',
			userId: account.id
		});
		await send(t.db, attacker.id, contracts[0]!.id, 'Your rental is ready.');
		await cron();
		expect(sentTo(victim).map((e) => e.subject)).toEqual([
			'Confirm your email address for Parley',
			`New message from ${attacker.displayName} about "Bait"`
		]);
	});

	it('gets nothing queued for it behind the notification step either: the outbox withholds it', async () => {
		const user = await makeUser(t.db);
		const stranger = (
			await validateSessionToken(t.db, (await newSignUp('pending@example.org')).sessionToken)
		).user!;
		for (const [recipientId, to] of [
			[stranger.id, 'pending@example.org'],
			// Confirmed, but not this address.
			[user.id, 'somebody-else@example.org'],
			[null, 'nobody@example.org']
		] as const) {
			await enqueueEmail(t.db, {
				type: 'message_notification',
				recipientId,
				to,
				subject: 'Phish',
				html: '<p>x</p>',
				text: 'x',
				headers: {},
				idempotencyKey: `test/${to}`
			});
		}
		await cron();
		const rows = await t.db.select().from(emailQueue).where(eq(emailQueue.subject, 'Phish'));
		expect(rows.map((r) => r.status)).toEqual(['withheld', 'withheld', 'withheld']);
		expect(fake.requests.filter((r) => r.body.subject === 'Phish')).toHaveLength(0);
	});
});

describe('sign-up', () => {
	it('answers a registered address exactly as a new one; only the owner learns which it was', async () => {
		const owner = await makeUser(t.db, 'Owner');
		const registered = await newSignUp(owner.email.toUpperCase(), 'Curious');
		const fresh = await newSignUp('brand-new@example.org', 'Curious');
		// Same shape: a new signed-in account, an email queued, nothing else.
		const shape = (r: typeof fresh) => ({
			keys: Object.keys(r).sort(),
			tokenLength: r.sessionToken.length,
			emailQueued: typeof r.emailId,
			sessionKeys: Object.keys(r.session).sort()
		});
		expect(shape(registered)).toEqual(shape(fresh));
		const a = await validateSessionToken(t.db, registered.sessionToken);
		const b = await validateSessionToken(t.db, fresh.sessionToken);
		expect(a.user).toMatchObject({ displayName: 'Curious', emailConfirmed: false });
		expect(b.user).toMatchObject({ displayName: 'Curious', emailConfirmed: false });
		expect(a.user!.id).not.toBe(owner.id);

		await cron();
		// The owner is told, with a way in, and gets no link that would hand the address over.
		const toOwner = sentTo(owner.email);
		expect(toOwner.map((e) => e.subject)).toEqual(['You already have a Parley account']);
		expect(toOwner[0]!.text).toContain('https://parley.test/login');
		expect(toOwner[0]!.text).not.toContain('/confirm-email/');
		expect(sentTo('brand-new@example.org').map((e) => e.subject)).toEqual([
			'Confirm your email address for Parley'
		]);
		expect(await t.db.select().from(emailConfirmations)).toHaveLength(1);

		// The owner's account is untouched: their password still works, the newcomer's does not.
		expect(
			(await authenticate(t.db, { email: owner.email, password: PASSWORD, ip: '10.1.1.1' })).id
		).toBe(owner.id);
		await expect(
			authenticate(t.db, { email: 'brand-new@example.org', password: PASSWORD, ip: '10.1.1.1' })
		).rejects.toBeInstanceOf(InvalidCredentialsError);
		// Nor can the script that makes operators pick the unconfirmed account.
		expect(await setUserRole(t.db, 'brand-new@example.org', 'operator')).toBe(false);
	});

	it('sends one email per address per cooldown and a few a day, whoever asks; sign-up still succeeds', async () => {
		const first = await newSignUp('flood@example.org');
		const second = await newSignUp('FLOOD@example.org');
		expect(first.emailId).not.toBeNull();
		// Within the cooldown: the account is made, no second email.
		expect(second.emailId).toBeNull();
		const user = (await validateSessionToken(t.db, first.sessionToken)).user!;
		const error = await requestEmailConfirmation(t.db, user.id, config()).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(RateLimitedError);
		expect((error as RateLimitedError).retryAfterSeconds).toBeGreaterThan(100);
		expect((error as RateLimitedError).retryAfterSeconds).toBeLessThanOrEqual(120);

		for (let i = 2; i <= 5; i++) {
			await afterCooldown();
			expect(await requestEmailConfirmation(t.db, user.id, config())).not.toBeNull();
		}
		await afterCooldown();
		await expect(requestEmailConfirmation(t.db, user.id, config())).rejects.toThrow(
			/5 emails to this address today/
		);
		await cron();
		expect(sentTo('flood@example.org')).toHaveLength(5);
	});
});

describe('the link', () => {
	it('keeps only a hash, works once, and only the newest one works', async () => {
		const signed = await newSignUp('ana@example.org', 'Ana');
		const userId = (await validateSessionToken(t.db, signed.sessionToken)).user!.id;
		await cron();
		const old = linkTokenFor('ana@example.org');
		const [row] = await t.db.select().from(emailConfirmations);
		expect(row!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
		expect(JSON.stringify(row)).not.toContain(old);
		expect(row!.expiresAt.getTime() - Date.now()).toBeGreaterThan(23.9 * 3600_000);
		expect(row!.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600_000);

		await afterCooldown();
		await requestEmailConfirmation(t.db, userId, config());
		await cron();
		const newer = linkTokenFor('ana@example.org');
		expect(newer).not.toBe(old);
		expect(await findEmailConfirmation(t.db, old)).toBeNull();
		expect(await confirmEmail(t.db, old)).toEqual({ status: 'invalid' });

		expect(await findEmailConfirmation(t.db, newer)).toEqual({
			email: 'ana@example.org',
			displayName: 'Ana'
		});
		// Looking at the page that asks changes nothing.
		expect(await findEmailConfirmation(t.db, newer)).not.toBeNull();
		const [a, b] = await Promise.all([confirmEmail(t.db, newer), confirmEmail(t.db, newer)]);
		expect([a.status, b.status].sort()).toEqual(['confirmed', 'invalid']);
		expect((await validateSessionToken(t.db, signed.sessionToken)).user!.emailConfirmed).toBe(true);
		// Now the password works too.
		expect(
			(await authenticate(t.db, { email: 'ANA@example.org', password: PASSWORD, ip: '10.2.2.2' }))
				.id
		).toBe(userId);
		// A confirmed account asks for nothing more.
		await afterCooldown();
		expect(await requestEmailConfirmation(t.db, userId, config())).toBeNull();
	});

	it('does not work after 24 hours, nor for garbage', async () => {
		await newSignUp('late@example.org');
		await cron();
		const token = linkTokenFor('late@example.org');
		await t.db.update(emailConfirmations).set({ expiresAt: new Date(Date.now() - 1000) });
		expect(await findEmailConfirmation(t.db, token)).toBeNull();
		expect(await confirmEmail(t.db, token)).toEqual({ status: 'invalid' });
		expect(await confirmEmail(t.db, 'not-a-token')).toEqual({ status: 'invalid' });
		const [user] = await t.db.select().from(users).where(eq(users.email, 'late@example.org'));
		expect(user!.emailConfirmedAt).toBeNull();
	});

	it('gives an address to the first of two unconfirmed accounts that confirms it', async () => {
		await newSignUp('shared@example.org', 'First');
		await cron();
		const firstLink = linkTokenFor('shared@example.org');
		await afterCooldown();
		const second = await newSignUp('Shared@example.org', 'Second');
		await cron();
		const secondLink = linkTokenFor('shared@example.org');
		const secondId = (await validateSessionToken(t.db, second.sessionToken)).user!.id;
		expect(await confirmEmail(t.db, secondLink)).toMatchObject({
			status: 'confirmed',
			userId: secondId
		});
		expect(await confirmEmail(t.db, firstLink)).toEqual({ status: 'taken' });
		const confirmed = await t.db.select().from(users).where(eq(users.displayName, 'First'));
		expect(confirmed[0]!.emailConfirmedAt).toBeNull();
		// The first account asking again tells the owner they have an account; no link.
		await afterCooldown();
		const firstId = confirmed[0]!.id;
		await requestEmailConfirmation(t.db, firstId, config());
		await cron();
		expect(sentTo('shared@example.org').at(-1)!.subject).toBe('You already have a Parley account');
	});

	it('is created for demo and fixture users already confirmed, never by sign-up', async () => {
		const fixture = await makeUser(t.db);
		expect(fixture.emailConfirmed).toBe(true);
		const made = await createUser(t.db, {
			email: 'plain@example.org',
			displayName: 'Plain',
			password: PASSWORD
		});
		expect(made.emailConfirmed).toBe(false);
	});
});
