// Migrates one template database per run; every test then starts from a copy of it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { openDatabase, PGLITE_EXTENSIONS } from '../../src/lib/server/db';

declare module 'vitest' {
	export interface ProvidedContext {
		testDb:
			| { driver: 'postgres'; adminUrl: string; template: string }
			| { driver: 'pglite'; dumpPath: string };
	}
}

export default async function setup(project: TestProject) {
	const url = process.env.DATABASE_URL?.trim();
	if (url) {
		const template = `parley_tpl_${process.pid}_${Date.now()}`;
		const admin = postgres(url, { max: 1, onnotice: () => {} });
		await admin.unsafe(`create database "${template}"`);
		const templateUrl = withDatabase(url, template);
		const database = openDatabase({ driver: 'postgres', url: templateUrl, maxConnections: 2 });
		await database.migrate();
		await database.close();
		project.provide('testDb', { driver: 'postgres', adminUrl: url, template });
		console.log(`Integration tests on Postgres (${new URL(url).host}), template ${template}`);
		return async () => {
			const leftovers = await admin<{ datname: string }[]>`
				select datname from pg_database where datname like ${template + '%'}`;
			for (const { datname } of leftovers) {
				await admin.unsafe(`drop database if exists "${datname}" with (force)`);
			}
			await admin.end();
		};
	}

	const dir = mkdtempSync(path.join(tmpdir(), 'parley-pglite-'));
	const client = new PGlite({ extensions: PGLITE_EXTENSIONS });
	await openDatabase({ driver: 'pglite', client }).migrate();
	const dump = await client.dumpDataDir('none');
	await client.close();
	const dumpPath = path.join(dir, 'template.tar');
	writeFileSync(dumpPath, Buffer.from(await dump.arrayBuffer()));
	project.provide('testDb', { driver: 'pglite', dumpPath });
	console.log('Integration tests on PGlite (set DATABASE_URL to run them on Postgres)');
	return () => rmSync(dir, { recursive: true, force: true });
}

export function withDatabase(url: string, name: string): string {
	const parsed = new URL(url);
	parsed.pathname = `/${name}`;
	return parsed.toString();
}
