// The production build as a child process: `node build` with the environment it reads.

import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Copies build/ aside and returns the copy's entry point. Route chunks are loaded lazily, so a
 * `vite build` run elsewhere during the benchmark (the e2e tests do one) would otherwise swap
 * files under the running server. The copy resolves packages through a link to node_modules.
 */
export function snapshotBuild(root: string): { entry: string; remove: () => void } {
	const dir = mkdtempSync(path.join(tmpdir(), 'parley-bench-'));
	cpSync(path.join(root, 'build'), path.join(dir, 'build'), { recursive: true });
	writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
	symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
	return {
		entry: path.join(dir, 'build'),
		remove: () => rmSync(dir, { recursive: true, force: true })
	};
}

export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() =>
				typeof address === 'object' && address
					? resolve(address.port)
					: reject(new Error('no port'))
			);
		});
	});
}

export interface RunningServer {
	baseUrl: string;
	pid: number | undefined;
	/** The last lines it printed, for error reports. */
	output(): string;
	stop(): Promise<void>;
}

export async function startServer(options: {
	root: string;
	entry: string;
	databaseUrl: string;
	poolSize: number;
	prepare: boolean;
}): Promise<RunningServer> {
	const port = await freePort();
	const baseUrl = `http://127.0.0.1:${port}`;
	const lines: string[] = [];
	const child: ChildProcess = spawn(process.execPath, [options.entry], {
		// cwd is the repository: the server migrates at start-up from ./drizzle.
		cwd: options.root,
		env: {
			...process.env,
			NODE_ENV: 'production',
			PORT: String(port),
			HOST: '127.0.0.1',
			ORIGIN: baseUrl,
			DATABASE_URL: options.databaseUrl,
			DATABASE_POOL_SIZE: String(options.poolSize),
			DATABASE_PREPARE: String(options.prepare),
			// Production refuses to start without one (32 characters or more); no email leaves here.
			APP_SECRET: process.env.APP_SECRET ?? 'parley-bench-not-a-secret-0123456789',
			// The bench sends thousands of messages per user: the rate limits stay on (their check is
			// part of what is measured) but far above what it sends.
			MESSAGES_PER_MINUTE: '1000000000',
			MESSAGES_PER_DAY: '1000000000',
			TYPING_EVENTS_PER_MINUTE: '1000000000',
			LIVE_STREAMS_PER_USER: '100000',
			RENTALS_PER_DAY: '1000000000',
			CONVERSATIONS_PER_DAY: '1000000000'
		},
		stdio: ['ignore', 'pipe', 'pipe']
	});
	const keep = (chunk: Buffer) => {
		lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
		if (lines.length > 200) lines.splice(0, lines.length - 200);
	};
	child.stdout!.on('data', keep);
	child.stderr!.on('data', keep);
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

	const server: RunningServer = {
		baseUrl,
		pid: child.pid,
		output: () => lines.join('\n'),
		async stop() {
			if (child.exitCode !== null || child.signalCode !== null) return;
			child.kill('SIGTERM');
			const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
			await exited;
			clearTimeout(timer);
		}
	};

	// Ready once a page answers (migrations run before the server listens).
	const deadline = Date.now() + 60_000;
	for (;;) {
		if (child.exitCode !== null) {
			throw new Error(`the server exited with ${child.exitCode}:\n${server.output()}`);
		}
		try {
			const response = await fetch(`${baseUrl}/login`);
			await response.body?.cancel();
			if (response.status < 500) return server;
		} catch {
			// not listening yet
		}
		if (Date.now() > deadline) {
			await server.stop();
			throw new Error(`the server did not answer within 60 s:\n${server.output()}`);
		}
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}
