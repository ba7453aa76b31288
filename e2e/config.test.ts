import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';

// The production build itself, started the way it is deployed: a bad configuration must stop it
// at once, naming the variables, instead of starting and failing every cron run later.

interface Exit {
	code: number | null;
	stderr: string;
}

/** Runs `node build` with only `env` (no DATABASE_URL from the test run) and waits for it to exit. */
function startProductionServer(env: Record<string, string>): Promise<Exit> {
	const dataDir = mkdtempSync(path.join(tmpdir(), 'parley-config-'));
	const child = spawn(process.execPath, ['build'], {
		env: {
			PATH: process.env.PATH ?? '',
			NODE_ENV: 'production',
			HOST: '127.0.0.1',
			PORT: '0',
			// Should the check ever let it through, it must not touch a real database.
			PGLITE_DATA_DIR: path.join(dataDir, 'pglite'),
			...env
		},
		stdio: ['ignore', 'ignore', 'pipe']
	});
	let stderr = '';
	child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
	return new Promise<Exit>((resolve) => {
		// Refusing takes well under a second; a server still up after this has started.
		const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
		child.once('exit', (code) => {
			clearTimeout(timer);
			rmSync(dataDir, { recursive: true, force: true });
			resolve({ code, stderr });
		});
	});
}

test('the production server refuses to start without APP_SECRET', async () => {
	const { code, stderr } = await startProductionServer({});
	expect(code).toBe(1);
	expect(stderr).toContain('Parley cannot start: the configuration is invalid:');
	expect(stderr).toMatch(/^ {2}- APP_SECRET: required in production/m);
	// One clear message, not a stack trace.
	expect(stderr).not.toMatch(/^\s+at /m);
});

test('the production server refuses to start with a bad number and names the variable', async () => {
	const { code, stderr } = await startProductionServer({
		APP_SECRET: 'a-production-secret-of-32-chars!',
		NOTIFY_DELAY_SECONDS: 'abc'
	});
	expect(code).toBe(1);
	expect(stderr).toContain('  - NOTIFY_DELAY_SECONDS: must be a whole number >= 0 (got "abc")');
	expect(stderr).not.toContain('APP_SECRET');
});
