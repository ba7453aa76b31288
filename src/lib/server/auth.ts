import { hash, verify } from '@node-rs/argon2';
import { sha256 } from '@oslojs/crypto/sha2';
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from '@oslojs/encoding';
import { and, desc, eq, gt, isNotNull, isNull, lt, ne, sql } from 'drizzle-orm';
import type { Db } from './db';
import { preparedPerDb } from './db/prepared';
import { getConfig, type LoginLimitSettings } from './config';
import { sessions, users } from './db/schema';
import { notifyCloseStreams } from './live/events';
import { clearLimits, exceeded, hitLimits, undoHit, type Limit } from './rate-limit';

// Sessions the Lucia-guide way: a random token in the cookie, only its SHA-256 in the table.
export const SESSION_COOKIE = 'parley_session';
const DAY_MS = 24 * 60 * 60 * 1000;
export const SESSION_LIFETIME_MS = 30 * DAY_MS;
const SESSION_RENEW_BELOW_MS = 15 * DAY_MS;
const LAST_SEEN_EVERY_MS = 5 * 60 * 1000;

export interface SessionUser {
	id: string;
	email: string;
	displayName: string;
	emailNotifications: boolean;
	/** The owner proved the address is theirs; until then no email goes to it but the link. */
	emailConfirmed: boolean;
}

/** For selects that build a SessionUser. */
export const emailConfirmedColumn = sql<boolean>`(${users.emailConfirmedAt} is not null)`;

export interface Session {
	id: string;
	userId: string;
	expiresAt: Date;
}

// OWASP's argon2id settings: 19 MiB, 2 passes, one lane.
const ARGON2_OPTIONS = { memoryCost: 19456, timeCost: 2, outputLen: 32, parallelism: 1 };

export function hashPassword(password: string): Promise<string> {
	return hash(password, ARGON2_OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
	try {
		return await verify(passwordHash, password);
	} catch {
		return false;
	}
}

export function generateSessionToken(): string {
	const bytes = crypto.getRandomValues(new Uint8Array(20));
	return encodeBase32LowerCaseNoPadding(bytes);
}

export function sessionIdFromToken(token: string): string {
	return encodeHexLowerCase(sha256(new TextEncoder().encode(token)));
}

export async function createSession(
	db: Db,
	token: string,
	userId: string,
	options: { userAgent?: string | null } = {}
): Promise<Session> {
	const session: Session = {
		id: sessionIdFromToken(token),
		userId,
		expiresAt: new Date(Date.now() + SESSION_LIFETIME_MS)
	};
	await db
		.insert(sessions)
		.values({ ...session, userAgent: options.userAgent?.slice(0, 400) ?? null });
	return session;
}

export type SessionValidation =
	| { session: Session; user: SessionUser; renewed: boolean }
	| { session: null; user: null; renewed: false };

// Every request runs this one, so it is built once per database handle.
const sessionById = preparedPerDb((db) =>
	db
		.select({
			session: { id: sessions.id, userId: sessions.userId, expiresAt: sessions.expiresAt },
			lastSeenAt: sessions.lastSeenAt,
			user: {
				id: users.id,
				email: users.email,
				displayName: users.displayName,
				emailNotifications: users.emailNotifications,
				emailConfirmed: emailConfirmedColumn
			}
		})
		.from(sessions)
		.innerJoin(users, eq(sessions.userId, users.id))
		// A suspended account's sessions are deleted; this keeps one that raced the suspension out.
		.where(and(eq(sessions.id, sql.placeholder('sessionId')), isNull(users.suspendedAt)))
		.prepare('session_by_id')
);

/** Looks the token up, deletes it when expired, and slides the expiry when under 15 days remain. */
export async function validateSessionToken(db: Db, token: string): Promise<SessionValidation> {
	const sessionId = sessionIdFromToken(token);
	const [row] = await sessionById(db).execute({ sessionId });
	if (!row) return { session: null, user: null, renewed: false };

	const now = Date.now();
	if (now >= row.session.expiresAt.getTime()) {
		await invalidateSession(db, sessionId);
		return { session: null, user: null, renewed: false };
	}
	let renewed = false;
	if (now >= row.session.expiresAt.getTime() - SESSION_RENEW_BELOW_MS) {
		row.session.expiresAt = new Date(now + SESSION_LIFETIME_MS);
		await db
			.update(sessions)
			.set({ expiresAt: row.session.expiresAt, lastSeenAt: new Date(now) })
			.where(eq(sessions.id, sessionId));
		renewed = true;
	} else if (now - row.lastSeenAt.getTime() >= LAST_SEEN_EVERY_MS) {
		// "Last seen" in settings: one write per session every few minutes, not one per request.
		await db
			.update(sessions)
			.set({ lastSeenAt: new Date(now) })
			.where(eq(sessions.id, sessionId));
	}
	return { session: row.session, user: row.user, renewed };
}

/** Logs one session out; its live streams close on every instance. */
export async function invalidateSession(db: Db, sessionId: string): Promise<void> {
	const [row] = await db
		.delete(sessions)
		.where(eq(sessions.id, sessionId))
		.returning({ userId: sessions.userId });
	if (row) {
		await notifyCloseStreams(db, { u: row.userId, sessions: [sessionId], reason: 'signed-out' });
	}
}

/**
 * Signs a user out everywhere (password change, suspension): deletes their sessions, all or all but
 * `exceptSessionId`, and tells every instance to close the live streams opened with them.
 * `apiTokenStreams` closes the streams opened with the user's API tokens too (revoke the tokens
 * first, or they reconnect). Answers how many sessions were deleted.
 */
export async function revokeUserSessions(
	db: Db,
	userId: string,
	options: { exceptSessionId?: string; apiTokenStreams?: boolean } = {}
): Promise<number> {
	const deleted = await db
		.delete(sessions)
		.where(
			and(
				eq(sessions.userId, userId),
				options.exceptSessionId ? ne(sessions.id, options.exceptSessionId) : undefined
			)
		)
		.returning({ id: sessions.id });
	await notifyCloseStreams(db, {
		u: userId,
		except: options.exceptSessionId,
		tokens: options.apiTokenStreams ?? false,
		reason: 'signed-out'
	});
	return deleted.length;
}

export interface SessionListItem {
	id: string;
	userAgent: string | null;
	createdAt: Date;
	lastSeenAt: Date;
	current: boolean;
}

/** The user's signed-in sessions, the one in use first, then by when they were last seen. */
export async function listSessions(
	db: Db,
	userId: string,
	currentSessionId: string | null
): Promise<SessionListItem[]> {
	const rows = await db
		.select({
			id: sessions.id,
			userAgent: sessions.userAgent,
			createdAt: sessions.createdAt,
			lastSeenAt: sessions.lastSeenAt
		})
		.from(sessions)
		.where(and(eq(sessions.userId, userId), gt(sessions.expiresAt, sql`now()`)))
		.orderBy(desc(sessions.lastSeenAt));
	return rows
		.map((row) => ({ ...row, current: row.id === currentSessionId }))
		.sort((a, b) => Number(b.current) - Number(a.current));
}

/** Signs one of the user's own sessions out (and closes its streams); false if not theirs. */
export async function revokeSession(db: Db, userId: string, sessionId: string): Promise<boolean> {
	const [row] = await db
		.delete(sessions)
		.where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId)))
		.returning({ id: sessions.id });
	if (!row) return false;
	await notifyCloseStreams(db, { u: userId, sessions: [sessionId], reason: 'signed-out' });
	return true;
}

export class WrongCurrentPasswordError extends Error {
	constructor() {
		super('Your current password is not correct.');
	}
}

/**
 * Changes the password after checking the current one, and signs out every other session (their
 * streams close); the session in use stays. The new password's strength is the caller's check.
 * Answers how many other sessions were signed out.
 */
export async function changePassword(
	db: Db,
	userId: string,
	currentSessionId: string | null,
	input: { currentPassword: string; newPassword: string }
): Promise<number> {
	const [user] = await db
		.select({ passwordHash: users.passwordHash })
		.from(users)
		.where(eq(users.id, userId));
	if (!user || !(await verifyPassword(user.passwordHash, input.currentPassword))) {
		throw new WrongCurrentPasswordError();
	}
	await db
		.update(users)
		.set({ passwordHash: await hashPassword(input.newPassword) })
		.where(eq(users.id, userId));
	return revokeUserSessions(db, userId, { exceptSessionId: currentSessionId ?? undefined });
}

export async function invalidateUserSessions(db: Db, userId: string): Promise<void> {
	await revokeUserSessions(db, userId);
}

/** Housekeeping for a scheduler: expired sessions are otherwise removed only when presented. */
export async function deleteExpiredSessions(db: Db): Promise<number> {
	const deleted = await db
		.delete(sessions)
		.where(lt(sessions.expiresAt, new Date()))
		.returning({ id: sessions.id });
	return deleted.length;
}

// ---------------------------------------------------------------------------------------------
// Accounts

export class EmailTakenError extends Error {
	constructor() {
		super('An account with this email already exists.');
	}
}

export class InvalidCredentialsError extends Error {
	constructor() {
		super('Incorrect email or password.');
	}
}

/** The right password for an account an operator suspended (said only to its owner). */
export class AccountSuspendedError extends InvalidCredentialsError {
	constructor() {
		super();
		this.message = 'This account is suspended. Contact support if you think this is a mistake.';
	}
}

export class LoginThrottledError extends Error {
	constructor(readonly retryAfterSeconds: number) {
		super('Too many failed login attempts. Please wait a few minutes and try again.');
	}
}

/**
 * The account that owns an address: the one that confirmed it. Unconfirmed accounts may share an
 * address (sign-up does not reveal whether one is taken), so none of them answers to it.
 */
export async function findUserByEmail(db: Db, email: string) {
	const [user] = await db
		.select()
		.from(users)
		.where(
			and(
				eq(sql`lower(${users.email})`, email.trim().toLowerCase()),
				isNotNull(users.emailConfirmedAt)
			)
		);
	return user ?? null;
}

/**
 * Creates an account. It is unconfirmed (sign-up: see signup.ts), or, for the demo data and
 * scripts that vouch for the address themselves, `confirmed`; a confirmed one fails with
 * EmailTakenError when another confirmed account has the address.
 */
export async function createUser(
	db: Db,
	input: { email: string; displayName: string; password: string },
	options: { confirmed?: boolean } = {}
): Promise<SessionUser> {
	const passwordHash = await hashPassword(input.password);
	const [user] = await db
		.insert(users)
		.values({
			email: input.email.trim(),
			displayName: input.displayName.trim(),
			passwordHash,
			emailConfirmedAt: options.confirmed ? new Date() : null
		})
		.onConflictDoNothing()
		.returning({
			id: users.id,
			email: users.email,
			displayName: users.displayName,
			emailNotifications: users.emailNotifications,
			emailConfirmed: emailConfirmedColumn
		});
	// The unique index on confirmed addresses is the arbiter, so two racing cannot both win.
	if (!user) throw new EmailTakenError();
	return user;
}

export type LoginLimits = LoginLimitSettings;

/** The throttle's counters for one attempt: the pair first, then the IP, then the email everywhere. */
function loginLimitKeys(email: string, ip: string, limits: LoginLimits): Limit[] {
	const windowSeconds = limits.windowSeconds;
	return [
		{ key: `login:email-ip:${email} ${ip}`, max: limits.perEmailIp, windowSeconds },
		{ key: `login:ip:${ip}`, max: limits.perIp, windowSeconds },
		{ key: `login:email:${email}`, max: limits.perEmail, windowSeconds }
	];
}

/**
 * Checks the password, throttled with the counts in Postgres so every app instance sees them:
 * failures per (email, IP) pair first, per IP, and per email from all IPs only at a much higher
 * threshold, so a stranger's wrong guesses do not lock the owner out. The attempt is counted before
 * the password is checked (one upsert, atomic), so parallel attempts cannot all slip under the limit;
 * a success takes its count back. Unknown email and wrong password fail alike.
 */
export async function authenticate(
	db: Db,
	input: { email: string; password: string; ip: string },
	limits: LoginLimits = getConfig().limits.login
): Promise<SessionUser> {
	const email = input.email.trim().toLowerCase();
	const keys = loginLimitKeys(email, input.ip, limits);
	const [over] = exceeded(await hitLimits(db, keys));
	if (over) throw new LoginThrottledError(over.retryAfterSeconds);

	const user = await findUserByEmail(db, email);
	// Verify against a real hash even for unknown emails so timing does not reveal which exist.
	const ok = await verifyPassword(user?.passwordHash ?? (await dummyHash()), input.password);
	if (!user || !ok) throw new InvalidCredentialsError();
	// The owner got in: their pair and email start afresh; the IP keeps only its failures.
	const [pair, ip, byEmail] = keys.map((k) => k.key) as [string, string, string];
	await clearLimits(db, [pair, byEmail]);
	await undoHit(db, [ip]);
	if (user.suspendedAt) throw new AccountSuspendedError();
	return {
		id: user.id,
		email: user.email,
		displayName: user.displayName,
		emailNotifications: user.emailNotifications,
		emailConfirmed: true
	};
}

let dummyHashPromise: Promise<string> | null = null;
function dummyHash(): Promise<string> {
	dummyHashPromise ??= hashPassword('parley-timing-equaliser');
	return dummyHashPromise;
}
