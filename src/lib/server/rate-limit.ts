import { inArray, sql } from 'drizzle-orm';
import { pgArray, rowsOf, type Db } from './db';
import { rateLimitCounters } from './db/schema';
import { DomainError } from './errors';

// Limits shared by every app instance: the counts live in Postgres (rate_limit_counters), one row
// per key. A window opens with the first hit and lasts `windowSeconds`; one upsert adds the hit and
// answers the count, so concurrent requests take turns on the row and none slips under a limit.

export interface Limit {
	/** What is counted and for whom, e.g. `messages:minute:<user id>`. */
	key: string;
	/** Hits allowed within one window; the next one is refused. */
	max: number;
	windowSeconds: number;
}

export interface LimitState {
	key: string;
	hits: number;
	max: number;
	/** Seconds until the window closes and the count starts again. */
	retryAfterSeconds: number;
}

/** A limit was reached: 429, with when to try again (the Retry-After header and details). */
export class RateLimitedError extends DomainError {
	constructor(
		message: string,
		readonly retryAfterSeconds: number,
		readonly limitKey?: string
	) {
		super(429, 'rate_limited', message, { retryAfterSeconds });
	}
}

/** "in 40 seconds", "in 3 minutes", "in 2 hours": for messages that say when to try again. */
export function waitText(seconds: number): string {
	if (seconds < 90) return `in ${seconds} second${seconds === 1 ? '' : 's'}`;
	if (seconds < 90 * 60) return `in ${Math.ceil(seconds / 60)} minutes`;
	return `in ${Math.ceil(seconds / 3600)} hours`;
}

/** Limits counted together, and what to tell the person when one is reached. */
export interface LimitSet {
	limits: readonly Limit[];
	/** The refusal's message, given the seconds until the limit's window closes. */
	refusal: (retryAfterSeconds: number) => string;
}

/** The error for a reached limit of `set`. */
export function limitReached(set: LimitSet, key: string, retryAfterSeconds: number) {
	return new RateLimitedError(set.refusal(retryAfterSeconds), retryAfterSeconds, key);
}

/** Limits as the arrays the SQL functions take: keys, maximums, window seconds. */
export function limitArrays(limits: readonly Limit[]) {
	return {
		keys: pgArray(limits.map((l) => l.key)),
		max: pgArray(limits.map((l) => l.max)),
		windows: pgArray(limits.map((l) => Math.max(1, Math.floor(l.windowSeconds))))
	};
}

/** Counts one hit on every limit (distinct keys) in one statement; answers each limit's state. */
export async function hitLimits(db: Db, limits: readonly Limit[]): Promise<LimitState[]> {
	if (limits.length === 0) return [];
	const { keys, windows } = limitArrays(limits);
	const rows = rowsOf<{ key: string; hits: number; remaining: number }>(
		await db.execute(
			sql`select key, hits, remaining from parley_hit_limits(${keys}::text[], ${windows}::integer[])`
		)
	);
	const byKey = new Map(rows.map((r) => [r.key, r]));
	return limits.map((l) => {
		const row = byKey.get(l.key);
		return {
			key: l.key,
			hits: Number(row?.hits ?? 1),
			max: l.max,
			retryAfterSeconds: Math.max(1, Math.ceil(Number(row?.remaining ?? l.windowSeconds)))
		};
	});
}

/** The limits a hit went over, the one that reopens last first (empty: all within limits). */
export function exceeded(states: readonly LimitState[]): LimitState[] {
	return states
		.filter((s) => s.hits > s.max)
		.sort((a, b) => b.retryAfterSeconds - a.retryAfterSeconds);
}

/** Counts one hit on each limit of the set and throws its RateLimitedError when any is over. */
export async function enforceLimits(db: Db, set: LimitSet): Promise<void> {
	const [over] = exceeded(await hitLimits(db, set.limits));
	if (over) throw limitReached(set, over.key, over.retryAfterSeconds);
}

/**
 * Throws the set's RateLimitedError when a limit is reached already, counting nothing: for work
 * worth skipping before the counted action (storing a form's files before its send).
 */
export async function refuseIfReached(db: Db, set: LimitSet): Promise<void> {
	if (set.limits.length === 0) return;
	const { keys, max } = limitArrays(set.limits);
	const [reached] = rowsOf<{ key: string; remaining: number }>(
		await db.execute(
			sql`select key, remaining from parley_limit_reached(${keys}::text[], ${max}::integer[])`
		)
	);
	if (reached) {
		throw limitReached(set, reached.key, Math.max(1, Math.ceil(Number(reached.remaining))));
	}
}

/** Takes one hit back (a login that succeeded is not a failure). */
export async function undoHit(db: Db, keys: readonly string[]): Promise<void> {
	if (keys.length === 0) return;
	await db
		.update(rateLimitCounters)
		.set({ hits: sql`greatest(${rateLimitCounters.hits} - 1, 0)` })
		.where(inArray(rateLimitCounters.key, [...keys]));
}

export async function clearLimits(db: Db, keys: readonly string[]): Promise<void> {
	if (keys.length === 0) return;
	await db.delete(rateLimitCounters).where(inArray(rateLimitCounters.key, [...keys]));
}

/** Housekeeping for the cron run: windows that have closed hold nothing anyone needs. */
export async function deleteClosedWindows(db: Db): Promise<number> {
	const deleted = await db
		.delete(rateLimitCounters)
		.where(sql`${rateLimitCounters.windowEndsAt} < now()`)
		.returning({ key: rateLimitCounters.key });
	return deleted.length;
}
