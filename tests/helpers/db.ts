import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { afterEach, beforeEach, inject } from 'vitest';
import { openDatabase, PGLITE_EXTENSIONS, type Database, type Db } from '../../src/lib/server/db';
import { withDatabase } from './global-setup';

let counter = 0;
let pgliteTemplate: Blob | null = null;

/** A fresh database copied from the migrated template: Postgres or PGlite, as the run was set up. */
export async function createTestDatabase(): Promise<Database & { url?: string }> {
	const config = inject('testDb');
	if (config.driver === 'postgres') {
		const name = `${config.template}_${process.pid}_${++counter}`;
		const admin = postgres(config.adminUrl, { max: 1, onnotice: () => {} });
		try {
			await admin.unsafe(`create database "${name}" template "${config.template}"`);
		} finally {
			await admin.end();
		}
		const url = withDatabase(config.adminUrl, name);
		const database = openDatabase({ driver: 'postgres', url, maxConnections: 20 });
		return {
			...database,
			url,
			async close() {
				await database.close();
				const admin = postgres(config.adminUrl, { max: 1, onnotice: () => {} });
				try {
					await admin.unsafe(`drop database if exists "${name}" with (force)`);
				} finally {
					await admin.end();
				}
			}
		};
	}
	pgliteTemplate ??= new Blob([readFileSync(config.dumpPath)]);
	const client = new PGlite({ loadDataDir: pgliteTemplate, extensions: PGLITE_EXTENSIONS });
	return openDatabase({ driver: 'pglite', client });
}

export const onPostgres = () => inject('testDb').driver === 'postgres';

/** Registers before/after hooks and hands each test its own database. */
export function useTestDatabase(): { readonly db: Db; readonly database: Database } {
	let current: Database | null = null;
	beforeEach(async () => {
		current = await createTestDatabase();
	});
	afterEach(async () => {
		await current?.close();
		current = null;
	});
	return {
		get db() {
			if (!current) throw new Error('No test database outside a test');
			return current.db;
		},
		get database() {
			if (!current) throw new Error('No test database outside a test');
			return current;
		}
	};
}
