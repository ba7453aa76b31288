import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { openDatabase, rowsOf, type Db } from '../src/lib/server/db';
import { onPostgres, useTestDatabase } from './helpers/db';

const t = useTestDatabase();

async function session(db: Db): Promise<{ jit: string; pid: number }> {
	const [row] = rowsOf<{ jit: string; pid: number }>(
		await db.execute(sql`select current_setting('jit') as jit, pg_backend_pid() as pid`)
	);
	return row!;
}

describe.skipIf(!onPostgres())('Postgres connections', () => {
	it('run without the JIT compiler, for every connection of the pool', async () => {
		// Two at once on a new pool: the second opens a second connection.
		const [a, b] = await Promise.all([session(t.db), session(t.db)]);
		expect(a.pid).not.toBe(b.pid);
		expect([a.jit, b.jit]).toEqual(['off', 'off']);
	});

	it('leave JIT to the server when asked to', async () => {
		const url = (t.database as { url?: string }).url!;
		// What a connection that sets nothing gets: the server's (or the role's) setting.
		const plain = postgres(url, { max: 1, onnotice: () => {} });
		const [server] = await plain<{ jit: string }[]>`select current_setting('jit') as jit`;
		await plain.end();
		expect(server!.jit).toBe('on');
		const database = openDatabase({ driver: 'postgres', url, maxConnections: 1, jit: 'server' });
		try {
			expect((await session(database.db)).jit).toBe(server!.jit);
		} finally {
			await database.close();
		}
	});
});
