import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
	EmailTakenError,
	InvalidCredentialsError,
	type LoginLimits,
	LoginThrottledError,
	SESSION_LIFETIME_MS,
	authenticate,
	createSession,
	createUser,
	deleteExpiredSessions,
	generateSessionToken,
	hashPassword,
	invalidateSession,
	invalidateUserSessions,
	sessionIdFromToken,
	validateSessionToken,
	verifyPassword
} from '../src/lib/server/auth';
import * as auth from '../src/lib/server/auth';
import { rateLimitCounters, sessions } from '../src/lib/server/db/schema';
import { useTestDatabase } from './helpers/db';

const t = useTestDatabase();
const DAY = 24 * 60 * 60 * 1000;

async function signUp(email = 'ana@example.com') {
	return createUser(
		t.db,
		{ email, displayName: 'Ana', password: 'correct horse battery' },
		{ confirmed: true }
	);
}

describe('password hashing', () => {
	it('verifies the right password and rejects a wrong one', async () => {
		const hash = await hashPassword('correct horse battery');
		expect(hash).toMatch(/^\$argon2id\$/);
		expect(await verifyPassword(hash, 'correct horse battery')).toBe(true);
		expect(await verifyPassword(hash, 'correct horse batterY')).toBe(false);
		expect(await verifyPassword('not a hash', 'x')).toBe(false);
	});
});

describe('sessions', () => {
	it('stores only the hash of the token and validates it', async () => {
		const user = await signUp();
		const token = generateSessionToken();
		const session = await createSession(t.db, token, user.id);
		expect(session.id).toBe(sessionIdFromToken(token));
		expect(session.id).not.toContain(token);
		const [row] = await t.db.select().from(sessions).where(eq(sessions.userId, user.id));
		expect(row?.id).toBe(sessionIdFromToken(token));

		const result = await validateSessionToken(t.db, token);
		expect(result.user?.id).toBe(user.id);
		expect(result.renewed).toBe(false);
		expect(await validateSessionToken(t.db, generateSessionToken())).toEqual({
			session: null,
			user: null,
			renewed: false
		});
	});

	it('deletes an expired session when it is presented', async () => {
		const user = await signUp();
		const token = generateSessionToken();
		await createSession(t.db, token, user.id);
		await t.db
			.update(sessions)
			.set({ expiresAt: new Date(Date.now() - 1000) })
			.where(eq(sessions.id, sessionIdFromToken(token)));
		expect((await validateSessionToken(t.db, token)).session).toBeNull();
		expect(await t.db.select().from(sessions)).toHaveLength(0);
	});

	it('slides the expiry when under 15 days remain, not before', async () => {
		const user = await signUp();
		const token = generateSessionToken();
		await createSession(t.db, token, user.id);
		const id = sessionIdFromToken(token);

		await t.db
			.update(sessions)
			.set({ expiresAt: new Date(Date.now() + 16 * DAY) })
			.where(eq(sessions.id, id));
		expect((await validateSessionToken(t.db, token)).renewed).toBe(false);

		await t.db
			.update(sessions)
			.set({ expiresAt: new Date(Date.now() + 14 * DAY) })
			.where(eq(sessions.id, id));
		const renewed = await validateSessionToken(t.db, token);
		expect(renewed.renewed).toBe(true);
		const [row] = await t.db.select().from(sessions).where(eq(sessions.id, id));
		expect(row!.expiresAt.getTime()).toBeGreaterThan(Date.now() + SESSION_LIFETIME_MS - 60_000);
	});

	it('invalidates one session or all of a user', async () => {
		const user = await signUp();
		const a = generateSessionToken();
		const b = generateSessionToken();
		await createSession(t.db, a, user.id);
		await createSession(t.db, b, user.id);
		await invalidateSession(t.db, sessionIdFromToken(a));
		expect((await validateSessionToken(t.db, a)).session).toBeNull();
		expect((await validateSessionToken(t.db, b)).session).not.toBeNull();
		await invalidateUserSessions(t.db, user.id);
		expect((await validateSessionToken(t.db, b)).session).toBeNull();
	});

	it('sweeps expired sessions in bulk', async () => {
		const user = await signUp();
		await createSession(t.db, generateSessionToken(), user.id);
		const old = generateSessionToken();
		await createSession(t.db, old, user.id);
		await t.db
			.update(sessions)
			.set({ expiresAt: new Date(Date.now() - DAY) })
			.where(eq(sessions.id, sessionIdFromToken(old)));
		expect(await deleteExpiredSessions(t.db)).toBe(1);
		expect(await t.db.select().from(sessions)).toHaveLength(1);
	});
});

// Sign-up itself never refuses a taken address (tests/email-confirmation.test.ts); two accounts
// with a confirmed address cannot share it.
describe('confirmed addresses', () => {
	it('refuses an existing email in another letter case', async () => {
		await signUp('Ana@Example.com');
		await expect(signUp('ana@example.COM')).rejects.toBeInstanceOf(EmailTakenError);
	});

	it('refuses two sign-ups racing for the same address', async () => {
		const results = await Promise.allSettled([
			signUp('race@example.com'),
			signUp('RACE@example.com')
		]);
		expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
		expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
	});
});

describe('login', () => {
	it('accepts the password whatever the case of the email', async () => {
		const user = await signUp('Ana@Example.com');
		const result = await authenticate(t.db, {
			email: 'ana@example.com',
			password: 'correct horse battery',
			ip: '10.0.0.1'
		});
		expect(result.id).toBe(user.id);
	});

	it('answers a wrong password and an unknown email with the same message', async () => {
		await signUp();
		const wrong = await authenticate(t.db, {
			email: 'ana@example.com',
			password: 'nope',
			ip: '1.1.1.1'
		}).catch((e) => e);
		const unknown = await authenticate(t.db, {
			email: 'zed@example.com',
			password: 'nope',
			ip: '1.1.1.1'
		}).catch((e) => e);
		expect(wrong).toBeInstanceOf(InvalidCredentialsError);
		expect(unknown).toBeInstanceOf(InvalidCredentialsError);
		expect(wrong.message).toBe(unknown.message);
	});

	// The defaults: 10 failures per (email, IP) pair, 30 per IP, 100 per email across all IPs.
	const wrong = (ip: string, email = 'ana@example.com', limits?: LoginLimits) =>
		authenticate(t.db, { email, password: 'nope', ip }, limits).catch((e) => e);
	const right = (ip: string, limits?: LoginLimits) =>
		authenticate(t.db, { email: 'ana@example.com', password: 'correct horse battery', ip }, limits);

	it('throttles an (email, IP) pair after 10 failures in 15 minutes, even with the right password', async () => {
		await signUp();
		for (let i = 0; i < 10; i++) {
			expect(await wrong('10.0.0.1')).toBeInstanceOf(InvalidCredentialsError);
		}
		const err = await right('10.0.0.1').catch((e) => e);
		expect(err).toBeInstanceOf(LoginThrottledError);
		expect(err.retryAfterSeconds).toBeGreaterThan(0);
		expect(err.retryAfterSeconds).toBeLessThanOrEqual(15 * 60);

		// When the window has passed, the count starts again.
		await t.db.update(rateLimitCounters).set({ windowEndsAt: new Date(Date.now() - 1000) });
		const user = await right('10.0.0.1');
		expect(user.email).toBe('ana@example.com');
	});

	// Issue #13 finding 2: the count was read before argon2 and written after, so all 40 were checked.
	it('counts 50 parallel wrong passwords atomically: only 10 reach the password check', async () => {
		await signUp();
		const results = await Promise.all(Array.from({ length: 50 }, () => wrong('10.0.0.2')));
		const checked = results.filter((r) => r instanceof InvalidCredentialsError).length;
		const throttled = results.filter((r) => r instanceof LoginThrottledError).length;
		expect({ checked, throttled }).toEqual({ checked: 10, throttled: 40 });
		await expect(right('10.0.0.2')).rejects.toBeInstanceOf(LoginThrottledError);
	});

	// Issue #13 finding 6: 10 wrong passwords from anywhere locked the owner out everywhere.
	it('does not lock the owner out when someone else fails from other IPs', async () => {
		await signUp();
		for (let i = 0; i < 15; i++) await wrong('6.6.6.6');
		for (let i = 0; i < 20; i++) await wrong(`6.6.7.${i}`);
		await expect(right('6.6.6.6')).rejects.toBeInstanceOf(LoginThrottledError);
		await expect(right('7.7.7.7')).resolves.toMatchObject({ email: 'ana@example.com' });
	});

	it('throttles an email across all IPs only at the much higher threshold', async () => {
		await signUp();
		const limits: LoginLimits = { perEmailIp: 3, perIp: 1000, perEmail: 8, windowSeconds: 900 };
		for (let i = 0; i < 8; i++) await wrong(`8.8.8.${i}`, 'ana@example.com', limits);
		await expect(right('9.9.9.9', limits)).rejects.toBeInstanceOf(LoginThrottledError);
	});

	it('throttles an IP that tries many emails', async () => {
		await signUp();
		const limits: LoginLimits = { perEmailIp: 10, perIp: 5, perEmail: 100, windowSeconds: 900 };
		for (let i = 0; i < 5; i++) await wrong('6.6.6.6', `guess${i}@example.com`, limits);
		await expect(right('6.6.6.6', limits)).rejects.toBeInstanceOf(LoginThrottledError);
		// Another address is not affected.
		await expect(right('7.7.7.7', limits)).resolves.toMatchObject({ email: 'ana@example.com' });
	});

	it('keeps the counts in the database, where every app instance sees them', async () => {
		await signUp();
		for (let i = 0; i < 4; i++) await wrong('2.2.2.2');
		const rows = await t.db.select().from(rateLimitCounters);
		expect(Object.fromEntries(rows.map((r) => [r.key, r.hits]))).toEqual({
			'login:email-ip:ana@example.com 2.2.2.2': 4,
			'login:email:ana@example.com': 4,
			'login:ip:2.2.2.2': 4
		});
		// A success clears the pair and the email, and does not count against the IP.
		await right('2.2.2.2');
		const after = await t.db.select().from(rateLimitCounters);
		expect(Object.fromEntries(after.map((r) => [r.key, r.hits]))).toEqual({
			'login:ip:2.2.2.2': 4
		});
	});
});

// Issue #13, finding 9: no way to change the password or to see and end one's sessions.
describe('password change and sessions', () => {
	it('changes the password after checking the current one, and signs out the other sessions', async () => {
		const user = await signUp();
		const here = generateSessionToken();
		const there = generateSessionToken();
		await createSession(t.db, here, user.id, { userAgent: 'Firefox/132.0 (Windows NT 10.0)' });
		await createSession(t.db, there, user.id);

		await expect(
			auth.changePassword(t.db, user.id, sessionIdFromToken(here), {
				currentPassword: 'wrong',
				newPassword: 'another long passphrase'
			})
		).rejects.toBeInstanceOf(auth.WrongCurrentPasswordError);
		expect((await validateSessionToken(t.db, there)).session).not.toBeNull();

		const signedOut = await auth.changePassword(t.db, user.id, sessionIdFromToken(here), {
			currentPassword: 'correct horse battery',
			newPassword: 'another long passphrase'
		});
		expect(signedOut).toBe(1);
		expect((await validateSessionToken(t.db, here)).session).not.toBeNull();
		expect((await validateSessionToken(t.db, there)).session).toBeNull();
		await expect(
			authenticate(t.db, { email: user.email, password: 'another long passphrase', ip: '1.2.3.4' })
		).resolves.toMatchObject({ id: user.id });
	});

	it('lists my sessions with their device and last sighting, and revokes only my own', async () => {
		const user = await signUp();
		const other = await signUp('bo@example.com');
		const mine = generateSessionToken();
		const theirs = generateSessionToken();
		await createSession(t.db, generateSessionToken(), user.id);
		await createSession(t.db, mine, user.id, { userAgent: 'Mozilla/5.0 (X11; Linux) Chrome/131' });
		await createSession(t.db, theirs, other.id);

		const list = await auth.listSessions(t.db, user.id, sessionIdFromToken(mine));
		expect(list).toHaveLength(2);
		expect(list[0]).toMatchObject({
			id: sessionIdFromToken(mine),
			current: true,
			userAgent: 'Mozilla/5.0 (X11; Linux) Chrome/131'
		});
		expect(list[0]!.lastSeenAt).toBeInstanceOf(Date);

		expect(await auth.revokeSession(t.db, user.id, sessionIdFromToken(theirs))).toBe(false);
		expect((await validateSessionToken(t.db, theirs)).session).not.toBeNull();
		expect(await auth.revokeSession(t.db, user.id, list[1]!.id)).toBe(true);
		expect(await auth.listSessions(t.db, user.id, null)).toHaveLength(1);
	});
});
