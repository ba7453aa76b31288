import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf, type Db } from '../src/lib/server/db';
import { functionStatements, readFunctionSources } from '../src/lib/server/db/functions';
import { useTestDatabase } from './helpers/db';

const t = useTestDatabase();

async function definitions(db: Db): Promise<Record<string, string>> {
	const rows = rowsOf<{ name: string; def: string }>(
		await db.execute(sql`
			select p.proname as name, pg_get_functiondef(p.oid) as def
			from pg_proc p
			where p.pronamespace = 'public'::regnamespace and p.proname like 'parley\\_%'
			order by p.proname`)
	);
	return Object.fromEntries(rows.map((r) => [r.name, r.def]));
}

describe('PL/pgSQL functions', () => {
	it('are in the migrated database exactly as their sources define them', async () => {
		const sources = readFunctionSources();
		const migrated = await definitions(t.db);
		// Every function in the database has a source, and every source was migrated.
		expect(Object.keys(migrated).sort()).toEqual(sources.map((s) => s.name).sort());
		// Applying the sources again changes nothing: a source edited without `npm run
		// db:functions` (or a migration edited by hand) shows up here.
		for (const statement of functionStatements(sources)) await t.db.execute(sql.raw(statement));
		expect(await definitions(t.db)).toEqual(migrated);
	});
});
