import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

// A real clamd (Debian's clamav-daemon) on a signature database made for the test: the real
// signatures come from the internet, which the tests cannot reach. It listens on a Unix socket
// and on an ephemeral TCP port of 127.0.0.1.

export const CLAMD = '/usr/sbin/clamd';

/** The EICAR test file: harmless, and detected as malware by every scanner that knows it. */
export const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

export interface Clamd {
	socket: string;
	port: number;
	stop(): Promise<void>;
}

async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as { port: number };
			server.close(() => resolve(port));
		});
		server.on('error', reject);
	});
}

function ping(socket: string): Promise<boolean> {
	return new Promise((resolve) => {
		const client = connect(socket);
		let answer = '';
		client.on('data', (d) => (answer += d.toString()));
		client.on('end', () => resolve(answer.startsWith('PONG')));
		client.on('error', () => resolve(false));
		client.on('connect', () => client.write('zPING\0'));
	});
}

export async function startClamd(): Promise<Clamd> {
	if (!existsSync(CLAMD)) {
		throw new Error(
			`${CLAMD} is missing: install Debian's clamav-daemon (apt-get install clamav-daemon; .ci/run does).`
		);
	}
	const dir = await mkdtemp(path.join(tmpdir(), 'parley-clamd-'));
	const db = path.join(dir, 'db');
	await mkdir(db);
	const md5 = createHash('md5').update(EICAR).digest('hex');
	// By hash (the file itself) and by content (EICAR inside another file, e.g. a ZIP's entry).
	await writeFile(path.join(db, 'parley-test.hdb'), `${md5}:${EICAR.length}:Parley.Test.EICAR\n`);
	await writeFile(
		path.join(db, 'parley-test.ndb'),
		`Parley.Test.EICAR.Body:0:*:${Buffer.from(EICAR).toString('hex')}\n`
	);
	const socket = path.join(dir, 'clamd.sock');
	const port = await freePort();
	const conf = path.join(dir, 'clamd.conf');
	await writeFile(
		conf,
		[
			`LocalSocket ${socket}`,
			`TCPSocket ${port}`,
			'TCPAddr 127.0.0.1',
			`DatabaseDirectory ${db}`,
			'Foreground yes',
			`PidFile ${path.join(dir, 'clamd.pid')}`,
			'StreamMaxLength 30M',
			'Bytecode no',
			''
		].join('\n')
	);
	const child: ChildProcess = spawn(CLAMD, [`--config-file=${conf}`], {
		stdio: ['ignore', 'ignore', 'pipe']
	});
	let stderr = '';
	child.stderr?.on('data', (d) => (stderr += d.toString()));
	const deadline = Date.now() + 60_000;
	while (!(await ping(socket))) {
		if (child.exitCode !== null || Date.now() > deadline) {
			child.kill();
			throw new Error(`clamd did not start: ${stderr}`);
		}
		await new Promise((r) => setTimeout(r, 200));
	}
	return {
		socket,
		port,
		async stop() {
			child.kill();
			await new Promise((r) => child.once('exit', r));
			await rm(dir, { recursive: true, force: true });
		}
	};
}
