import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// The PL/pgSQL functions of the app have one source each, `functions/<name>.sql` holding one
// `CREATE OR REPLACE FUNCTION <name>`. Migrations are generated from them (npm run db:functions),
// never edited by hand, and a test compares the migrated database with these sources.

export const FUNCTIONS_DIR = 'src/lib/server/db/functions';

export interface FunctionSource {
	name: string;
	sql: string;
	/** sha256 of the source text: what the generator compares with the last migration's state. */
	hash: string;
}

export function readFunctionSources(dir = FUNCTIONS_DIR): FunctionSource[] {
	return readdirSync(dir)
		.filter((file) => file.endsWith('.sql'))
		.sort()
		.map((file) => {
			const sql = readFileSync(path.join(dir, file), 'utf8').trim() + '\n';
			const name = file.slice(0, -'.sql'.length);
			const defined = [...sql.matchAll(/CREATE OR REPLACE FUNCTION\s+(\w+)\s*\(/gi)].map(
				(m) => m[1]
			);
			if (defined.length !== 1 || defined[0] !== name) {
				throw new Error(`${file} must define exactly one function, named ${name}.`);
			}
			return { name, sql, hash: createHash('sha256').update(sql).digest('hex') };
		});
}

/**
 * Drops every overload of a function: CREATE OR REPLACE cannot change a function's result type
 * or parameters, so a changed source is dropped and created again (PL/pgSQL bodies are checked
 * only when they run, so nothing depends on a function until then). Triggers do depend on their
 * function, so a trigger function that is `replaced` is left to CREATE OR REPLACE: its signature
 * cannot change (no parameters, returns trigger).
 */
export function dropFunctionSql(name: string, replaced = false): string {
	const keepTriggerFunctions = replaced ? `\n\t\t\tAND p.prorettype <> 'trigger'::regtype` : '';
	return `DO $$
DECLARE
	r record;
BEGIN
	FOR r IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
		WHERE p.proname = '${name}' AND p.pronamespace = 'public'::regnamespace${keepTriggerFunctions}
	LOOP
		EXECUTE 'DROP FUNCTION ' || r.signature;
	END LOOP;
END
$$;`;
}

/** The statements that bring a database's functions to these sources: drops, then creates. */
export function functionStatements(changed: FunctionSource[], removed: string[] = []): string[] {
	return [
		...removed.map((name) => dropFunctionSql(name)),
		...changed.flatMap((source) => [dropFunctionSql(source.name, true), source.sql.trim()])
	];
}
