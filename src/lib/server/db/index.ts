import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { unaccent } from '@electric-sql/pglite/contrib/unaccent';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { DEFAULT_PGLITE_DATA_DIR, getConfig, loadConfig, type Env } from '../config';
import * as schema from './schema';

/** The Drizzle database, whichever driver is behind it; transactions are assignable to it too. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export type DatabaseConfig =
	| {
			driver: 'postgres';
			url: string;
			maxConnections?: number;
			prepare?: boolean;
			/** Default `off`: every connection starts with jit=off (see openDatabase). */
			jit?: 'off' | 'server';
	  }
	| { driver: 'pglite'; dataDir?: string; client?: PGlite };

export interface Database {
	db: Db;
	driver: 'postgres' | 'pglite';
	/** Where the data lives, for log lines: the URL without its password, or the PGlite folder. */
	location: string;
	migrate(): Promise<void>;
	close(): Promise<void>;
	/**
	 * LISTEN on a channel over one dedicated connection. `onConnect` runs each time the listen is
	 * (re)established, so a caller can catch up on what it missed while disconnected.
	 */
	listen(
		channel: string,
		onNotify: (payload: string) => void,
		onConnect?: () => void
	): Promise<() => Promise<void>>;
}

export { DEFAULT_PGLITE_DATA_DIR };

/**
 * The contrib extensions that the migrations create (search: accent folding and trigrams). On
 * Postgres they come with the server; PGlite loads them only when asked, so every PGlite the app,
 * the tests or a script opens passes these.
 */
export const PGLITE_EXTENSIONS = { pg_trgm, unaccent };

/**
 * The database settings of the validated configuration: the process's (getConfig) by default, or
 * those of `env` (scripts and tests may pass one). DATABASE_URL picks Postgres, otherwise PGlite.
 */
export function configFromEnv(env?: Env): DatabaseConfig {
	const settings = (env ? loadConfig(env) : getConfig()).database;
	return settings.driver === 'postgres'
		? {
				driver: 'postgres',
				url: settings.url,
				maxConnections: settings.maxConnections,
				// Off behind a pooler that cannot keep prepared statements (PgBouncer in transaction mode).
				prepare: settings.prepare,
				jit: settings.jit
			}
		: { driver: 'pglite', dataDir: settings.dataDir };
}

export function migrationsFolder(): string {
	return path.resolve(getConfig().database.migrationsDir);
}

// Any fixed number works: it only has to be the same for every instance that migrates this database.
const MIGRATION_LOCK_ID = 727_274_001;

export function openDatabase(config: DatabaseConfig): Database {
	if (config.driver === 'postgres') {
		const client = postgres(config.url, {
			max: config.maxConnections ?? 10,
			onnotice: () => {},
			// No array columns of custom types here: skip the type lookup every new connection makes
			// (it also fails loudly when a connection is cut while it runs).
			fetch_types: false,
			// Postgres compiles a statement whose estimated cost passes jit_above_cost: worth it for
			// long analytical queries, never for these. The search's one-word statement is estimated
			// past it for a busy provider at 1M messages (its index terms are built at run time), and
			// its first executions on each connection took 20-35 ms compiled against about 1.3.
			// A startup parameter, so it holds for every connection of the pool.
			connection: config.jit === 'server' ? {} : { jit: 'off' }
		});
		const db = drizzlePostgres({
			client: withPrepare(client, config.prepare ?? true),
			schema
		}) as unknown as Db;
		const listeners = new Set<postgres.Sql>();
		return {
			db,
			driver: 'postgres',
			location: redactUrl(config.url),
			async migrate() {
				// One connection holds an advisory lock while it migrates, so instances starting
				// together behind a load balancer apply each migration once.
				const lockClient = postgres(config.url, { max: 1, onnotice: () => {} });
				try {
					await lockClient`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
					await migratePostgres(drizzlePostgres({ client: lockClient }), {
						migrationsFolder: migrationsFolder()
					});
					await lockClient`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`;
				} finally {
					await lockClient.end();
				}
			},
			async listen(channel, onNotify, onConnect) {
				// A client of its own: one connection that postgres.js reconnects by itself, and that
				// closing the listener ends for good (no reconnect racing a shutdown).
				const listener = postgres(config.url, { max: 1, onnotice: () => {}, fetch_types: false });
				listeners.add(listener);
				const request = await listener.listen(channel, onNotify, onConnect);
				return async () => {
					listeners.delete(listener);
					await request.unlisten().catch(() => {});
					await listener.end({ timeout: 5 });
				};
			},
			async close() {
				await Promise.all([...listeners].map((l) => l.end({ timeout: 5 })));
				listeners.clear();
				await client.end({ timeout: 5 });
			}
		};
	}

	let client = config.client;
	if (!client) {
		const dataDir = config.dataDir ?? DEFAULT_PGLITE_DATA_DIR;
		if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
		client = new PGlite(dataDir, { extensions: PGLITE_EXTENSIONS });
	}
	const db = drizzlePglite({ client, schema }) as unknown as Db;
	const pglite = client;
	return {
		db,
		driver: 'pglite',
		location: config.dataDir ?? 'PGlite (in memory)',
		migrate: () =>
			migratePglite(drizzlePglite({ client: pglite }), { migrationsFolder: migrationsFolder() }),
		async listen(channel, onNotify, onConnect) {
			const unlisten = await pglite.listen(channel, onNotify);
			onConnect?.();
			return () => unlisten();
		},
		close: () => pglite.close()
	};
}

/**
 * Drizzle sends every query unnamed, so Postgres parses and plans it on each call; the inbox query
 * alone spends longer in planning than in execution. Named server-side statements, cached per
 * connection by postgres.js, plan once. This wraps the client (and the ones transactions get) so
 * that every query is prepared, or, with DATABASE_PREPARE=false, none is: not even the ones built
 * with Drizzle's `.prepare()`, which would otherwise ask for a named statement behind a pooler
 * that cannot keep them.
 */
function withPrepare(sql: postgres.Sql, prepare: boolean): postgres.Sql {
	return new Proxy(sql, {
		get(target, prop, receiver) {
			if (prop === 'unsafe') {
				return (query: string, args?: unknown[], options?: Record<string, unknown>) =>
					target.unsafe(query, args as never, { ...options, prepare });
			}
			if (prop === 'begin') {
				return (...params: unknown[]) => {
					const callback = params.pop() as (tx: postgres.Sql) => unknown;
					return (target.begin as (...a: unknown[]) => unknown)(...params, (tx: postgres.Sql) =>
						callback(withPrepare(tx, prepare))
					);
				};
			}
			return Reflect.get(target, prop, receiver);
		}
	});
}

function redactUrl(url: string): string {
	try {
		const parsed = new URL(url);
		if (parsed.password) parsed.password = '***';
		return parsed.toString();
	} catch {
		return 'postgres';
	}
}

/** Rows of a raw `db.execute()`: postgres.js answers an array, PGlite `{ rows }`. */
export function rowsOf<T>(result: unknown): T[] {
	if (Array.isArray(result)) return result as T[];
	return ((result as { rows?: T[] }).rows ?? []) as T[];
}

/**
 * A Postgres array literal, for a parameter cast to `text[]`, `integer[]` or `uuid[]` (Drizzle
 * spreads a JS array into a list of parameters instead). Strings are quoted and escaped.
 */
export function pgArray(values: readonly (string | number)[]): string {
	const items = values.map((v) =>
		typeof v === 'number' ? String(v) : `"${v.replace(/["\\]/g, '\\$&')}"`
	);
	return `{${items.join(',')}}`;
}

export async function isDatabaseEmpty(db: Db): Promise<boolean> {
	const rows = rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from users`));
	return (rows[0]?.n ?? 0) === 0;
}

// The app's own connection, opened on first use. Kept on globalThis so Vite's module reloads in dev
// do not open the PGlite folder twice in one process (which would corrupt it).
const GLOBAL_KEY = Symbol.for('parley.database');
type GlobalWithDb = typeof globalThis & { [GLOBAL_KEY]?: Database };

export function appDatabase(): Database {
	const holder = globalThis as GlobalWithDb;
	holder[GLOBAL_KEY] ??= openDatabase(configFromEnv());
	return holder[GLOBAL_KEY];
}

export { schema };

/** The app's Drizzle handle; route code calls this instead of opening connections itself. */
export function getDb(): Db {
	return appDatabase().db;
}
