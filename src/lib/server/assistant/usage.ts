import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../db';
import { AiLimitError, type Ai } from './model';

/**
 * Counts one model call against the user's day (UTC) and refuses when the day's calls are used up.
 * One statement, in Postgres: concurrent calls on several instances cannot pass the cap together.
 */
export async function takeAiCall(db: Db, ai: Ai, userId: string): Promise<void> {
	const limit = ai.dailyCallsPerUser;
	const rows = rowsOf<{ calls: number }>(
		await db.execute(sql`
			insert into ai_usage as u (user_id, day, calls)
			select ${userId}::uuid, to_char(now() at time zone 'UTC', 'YYYY-MM-DD'), 1
			where ${limit}::int > 0
			on conflict (user_id, day) do update set calls = u.calls + 1
				where u.calls < ${limit}::int
			returning calls`)
	);
	if (rows.length === 0) throw new AiLimitError(limit);
}

/** The user's calls so far today (for tests and the settings page). */
export async function aiCallsToday(db: Db, userId: string): Promise<number> {
	const [row] = rowsOf<{ calls: number }>(
		await db.execute(sql`
			select calls from ai_usage
			where user_id = ${userId}::uuid and day = to_char(now() at time zone 'UTC', 'YYYY-MM-DD')`)
	);
	return row?.calls ?? 0;
}
