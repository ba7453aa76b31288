import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
	EmailTakenError,
	InvalidCredentialsError,
	LOGIN_MAX_FAILURES,
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
import { loginFailures, sessions } from '../src/lib/server/db/schema';
import { useTestDatabase } from './helpers/db';

const t = useTestDatabase();
const DAY = 24 * 60 * 60 * 1000;

async function signUp(email = 'ana@example.com') {
	return createUser(t.db, { email, displayName: 'Ana', password: 'correct horse battery' });
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

describe('sign-up', () => {
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

	it('throttles an email after 10 failures in 15 minutes, even with the right password', async () => {
		await signUp();
		for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
			await expect(
				authenticate(t.db, { email: 'ana@example.com', password: 'nope', ip: `10.0.0.${i}` })
			).rejects.toBeInstanceOf(InvalidCredentialsError);
		}
		const err = await authenticate(t.db, {
			email: 'ANA@example.com',
			password: 'correct horse battery',
			ip: '10.9.9.9'
		}).catch((e) => e);
		expect(err).toBeInstanceOf(LoginThrottledError);
		expect(err.retryAfterSeconds).toBeGreaterThan(0);
		expect(err.retryAfterSeconds).toBeLessThanOrEqual(15 * 60);

		// Failures older than the window no longer count.
		await t.db.update(loginFailures).set({ createdAt: new Date(Date.now() - 16 * 60 * 1000) });
		const user = await authenticate(t.db, {
			email: 'ana@example.com',
			password: 'correct horse battery',
			ip: '10.9.9.9'
		});
		expect(user.email).toBe('ana@example.com');
	});

	it('throttles an IP that tries many emails', async () => {
		await signUp();
		for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
			await authenticate(t.db, {
				email: `guess${i}@example.com`,
				password: 'x',
				ip: '6.6.6.6'
			}).catch(() => {});
		}
		await expect(
			authenticate(t.db, {
				email: 'ana@example.com',
				password: 'correct horse battery',
				ip: '6.6.6.6'
			})
		).rejects.toBeInstanceOf(LoginThrottledError);
		// Another address is not affected.
		await expect(
			authenticate(t.db, {
				email: 'ana@example.com',
				password: 'correct horse battery',
				ip: '7.7.7.7'
			})
		).resolves.toMatchObject({ email: 'ana@example.com' });
	});

	it('records failures as rows in the database, where every app instance counts them', async () => {
		await signUp();
		for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
			await authenticate(t.db, { email: 'ana@example.com', password: 'x', ip: '2.2.2.2' }).catch(
				() => {}
			);
		}
		const rows = await t.db
			.select()
			.from(loginFailures)
			.where(eq(loginFailures.email, 'ana@example.com'));
		expect(rows).toHaveLength(LOGIN_MAX_FAILURES);
	});
});
