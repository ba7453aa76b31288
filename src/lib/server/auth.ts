import { hash, verify } from '@node-rs/argon2';
import { sha256 } from '@oslojs/crypto/sha2';
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from '@oslojs/encoding';
import { and, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import type { Db } from './db';
import { preparedPerDb } from './db/prepared';
import { loginFailures, sessions, users } from './db/schema';

// Sessions the Lucia-guide way: a random token in the cookie, only its SHA-256 in the table.
export const SESSION_COOKIE = 'parley_session';
const DAY_MS = 24 * 60 * 60 * 1000;
export const SESSION_LIFETIME_MS = 30 * DAY_MS;
const SESSION_RENEW_BELOW_MS = 15 * DAY_MS;

export interface SessionUser {
	id: string;
	email: string;
	displayName: string;
	emailNotifications: boolean;
}

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

export async function createSession(db: Db, token: string, userId: string): Promise<Session> {
	const session: Session = {
		id: sessionIdFromToken(token),
		userId,
		expiresAt: new Date(Date.now() + SESSION_LIFETIME_MS)
	};
	await db.insert(sessions).values(session);
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
			user: {
				id: users.id,
				email: users.email,
				displayName: users.displayName,
				emailNotifications: users.emailNotifications
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
		await db.delete(sessions).where(eq(sessions.id, sessionId));
		return { session: null, user: null, renewed: false };
	}
	let renewed = false;
	if (now >= row.session.expiresAt.getTime() - SESSION_RENEW_BELOW_MS) {
		row.session.expiresAt = new Date(now + SESSION_LIFETIME_MS);
		await db
			.update(sessions)
			.set({ expiresAt: row.session.expiresAt })
			.where(eq(sessions.id, sessionId));
		renewed = true;
	}
	return { session: row.session, user: row.user, renewed };
}

export async function invalidateSession(db: Db, sessionId: string): Promise<void> {
	await db.delete(sessions).where(eq(sessions.id, sessionId));
}

export async function invalidateUserSessions(db: Db, userId: string): Promise<void> {
	await db.delete(sessions).where(eq(sessions.userId, userId));
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

export async function findUserByEmail(db: Db, email: string) {
	const [user] = await db
		.select()
		.from(users)
		.where(eq(sql`lower(${users.email})`, email.trim().toLowerCase()));
	return user ?? null;
}

export async function createUser(
	db: Db,
	input: { email: string; displayName: string; password: string }
): Promise<SessionUser> {
	const passwordHash = await hashPassword(input.password);
	const [user] = await db
		.insert(users)
		.values({ email: input.email.trim(), displayName: input.displayName.trim(), passwordHash })
		.onConflictDoNothing()
		.returning({
			id: users.id,
			email: users.email,
			displayName: users.displayName,
			emailNotifications: users.emailNotifications
		});
	// The unique index on lower(email) is the arbiter, so two sign-ups racing cannot both win.
	if (!user) throw new EmailTakenError();
	return user;
}

export const LOGIN_MAX_FAILURES = 10;
export const LOGIN_WINDOW_MS = 15 * 60 * 1000;

async function throttleState(db: Db, email: string, ip: string) {
	const since = new Date(Date.now() - LOGIN_WINDOW_MS);
	const count = async (
		column: typeof loginFailures.email | typeof loginFailures.ip,
		value: string
	) => {
		const [row] = await db
			.select({
				n: sql<number>`count(*)::int`,
				oldest: sql<string | null>`min(${loginFailures.createdAt})`
			})
			.from(loginFailures)
			.where(and(eq(column, value), gt(loginFailures.createdAt, since)));
		return { n: row?.n ?? 0, oldest: row?.oldest ? new Date(row.oldest) : null };
	};
	const [byEmail, byIp] = await Promise.all([
		count(loginFailures.email, email),
		count(loginFailures.ip, ip)
	]);
	const blocked = [byEmail, byIp].filter((c) => c.n >= LOGIN_MAX_FAILURES);
	if (blocked.length === 0) return null;
	const reopensAt = Math.max(
		...blocked.map((c) => (c.oldest?.getTime() ?? Date.now()) + LOGIN_WINDOW_MS)
	);
	return Math.max(1, Math.ceil((reopensAt - Date.now()) / 1000));
}

/**
 * Checks the password, throttled per email and per IP (10 failures in 15 minutes) with the state
 * in Postgres, so every app instance sees the same count. Unknown email and wrong password fail alike.
 */
export async function authenticate(
	db: Db,
	input: { email: string; password: string; ip: string }
): Promise<SessionUser> {
	const email = input.email.trim().toLowerCase();
	const retryAfter = await throttleState(db, email, input.ip);
	if (retryAfter !== null) throw new LoginThrottledError(retryAfter);

	const user = await findUserByEmail(db, email);
	// Verify against a real hash even for unknown emails so timing does not reveal which exist.
	const ok = await verifyPassword(user?.passwordHash ?? (await dummyHash()), input.password);
	if (!user || !ok) {
		await db.insert(loginFailures).values({ email, ip: input.ip });
		// Old rows are useless to the throttle; trim them while we are here.
		await db
			.delete(loginFailures)
			.where(lt(loginFailures.createdAt, new Date(Date.now() - DAY_MS)));
		throw new InvalidCredentialsError();
	}
	await db.delete(loginFailures).where(eq(loginFailures.email, email));
	if (user.suspendedAt) throw new AccountSuspendedError();
	return {
		id: user.id,
		email: user.email,
		displayName: user.displayName,
		emailNotifications: user.emailNotifications
	};
}

let dummyHashPromise: Promise<string> | null = null;
function dummyHash(): Promise<string> {
	dummyHashPromise ??= hashPassword('parley-timing-equaliser');
	return dummyHashPromise;
}
