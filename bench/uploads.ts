// `npm run bench:uploads` (and the end of `npm run bench`): attachment uploads on the production
// build with local-disk storage. A 10 MB file over HTTP in MB/s beside writing the same bytes to
// the same storage directly (the ratio is the cost of HTTP, multipart parsing, the type check
// and the copy through a temporary file), and the server's peak RSS growth while ten 25 MB
// uploads run at once (target: under 64 MB, which a server that held uploads whole would miss).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { generateSessionToken, hashPassword, sessionIdFromToken } from '../src/lib/server/auth';
import { LocalStorage } from '../src/lib/server/attachments';
import { openDatabase } from '../src/lib/server/db';
import { snapshotBuild, startServer } from './server';

const ROOT = path.resolve(import.meta.dirname, '..');
const BASE_URL =
	process.env.BENCH_DATABASE_URL ??
	process.env.DATABASE_URL ??
	'postgres://postgres@127.0.0.1:5432/test';
const MB = 1024 * 1024;
const RUNS = 5;
const RSS_TARGET_MB = 64;

function withDatabase(url: string, name: string): string {
	const u = new URL(url);
	u.pathname = `/${name}`;
	return u.toString();
}

function rssKb(pid: number): number {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A PDF-typed file of `bytes` (the type check reads its first bytes; the rest is random). */
function pdfOf(bytes: number): Buffer {
	const file = randomBytes(bytes);
	file.write('%PDF-1.4\n', 0, 'latin1');
	return file;
}

async function upload(baseUrl: string, cookie: string, contractId: string, file: Buffer) {
	const form = new FormData();
	form.append('file', new Blob([new Uint8Array(file)]), 'bench.pdf');
	const response = await fetch(`${baseUrl}/api/contracts/${contractId}/attachments`, {
		method: 'POST',
		// SvelteKit refuses a multipart POST whose Origin is not the app's own (its CSRF check).
		headers: { cookie, origin: baseUrl },
		body: form
	});
	const answer = await response.text();
	if (response.status !== 201) throw new Error(`upload answered ${response.status}: ${answer}`);
}

async function main() {
	const name = `parley_bench_uploads_${Date.now()}`;
	const admin = postgres(BASE_URL, { max: 1, onnotice: () => {} });
	await admin.unsafe(`create database "${name}"`);
	const url = withDatabase(BASE_URL, name);
	const database = openDatabase({ driver: 'postgres', url });
	const dir = await mkdtemp(path.join(tmpdir(), 'parley-bench-uploads-'));
	const snapshot = snapshotBuild(ROOT);
	let server: Awaited<ReturnType<typeof startServer>> | null = null;
	try {
		await database.migrate();
		const hash = await hashPassword('parley-bench');
		const sql = postgres(url, { max: 2, onnotice: () => {} });
		const [provider, renter] = await sql<{ id: string }[]>`
			insert into users (email, display_name, password_hash)
			values ('up-provider@bench.test', 'Provider', ${hash}), ('up-renter@bench.test', 'Renter', ${hash})
			returning id`;
		const [offering] = await sql<{ id: string }[]>`
			insert into offerings (provider_id, name, description, monthly_price_cents)
			values (${provider!.id}, 'Upload bench', 'x', 100) returning id`;
		const [contract] = await sql<{ id: string }[]>`
			insert into contracts (offering_id, requester_id, provider_id, title, monthly_price_cents, status)
			values (${offering!.id}, ${renter!.id}, ${provider!.id}, 'Upload bench', 100, 'active') returning id`;
		const token = generateSessionToken();
		await sql`insert into sessions (id, user_id, expires_at)
			values (${sessionIdFromToken(token)}, ${renter!.id}, ${new Date(Date.now() + 86_400_000)})`;
		await sql.end();
		const cookie = `parley_session=${token}`;

		const storageDir = path.join(dir, 'attachments');
		process.env.ATTACHMENTS_DIR = storageDir;
		process.env.BODY_SIZE_LIMIT = '30M';
		process.env.ATTACHMENT_MAX_BYTES = String(25 * MB);
		server = await startServer({
			root: ROOT,
			entry: snapshot.entry,
			databaseUrl: url,
			poolSize: 10,
			prepare: true
		});

		// 10 MB over HTTP, and the same bytes written to the same storage directly.
		const ten = pdfOf(10 * MB);
		const tenFile = path.join(dir, 'ten.pdf');
		await writeFile(tenFile, ten);
		const storage = new LocalStorage(path.join(storageDir, 'direct'));
		await upload(server.baseUrl, cookie, contract!.id, ten); // warm-up
		const httpRates: number[] = [];
		const directRates: number[] = [];
		for (let i = 0; i < RUNS; i++) {
			let t = performance.now();
			await upload(server.baseUrl, cookie, contract!.id, ten);
			httpRates.push(10 / ((performance.now() - t) / 1000));
			t = performance.now();
			await storage.putFile(`bench/${i}/original`, tenFile);
			directRates.push(10 / ((performance.now() - t) / 1000));
		}

		// Ten 25 MB uploads at once; RSS sampled every 10 ms.
		const big = pdfOf(25 * MB);
		await sleep(1000);
		const before = rssKb(server.pid!);
		let peak = before;
		const sampler = setInterval(() => (peak = Math.max(peak, rssKb(server!.pid!))), 10);
		const t = performance.now();
		await Promise.all(
			Array.from({ length: 10 }, () => upload(server!.baseUrl, cookie, contract!.id, big))
		);
		const seconds = (performance.now() - t) / 1000;
		clearInterval(sampler);
		const growthMb = (peak - before) / 1024;

		const http = median(httpRates);
		const direct = median(directRates);
		console.log(
			[
				'## Attachment uploads (local disk)',
				'',
				`${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, \`npm run bench:uploads\`: one production server (Postgres), storage in a temporary folder; medians of ${RUNS} runs.`,
				'',
				'| Row | Figure | Target |',
				'| --- | ---: | ---: |',
				`| 10 MB upload over HTTP | ${http.toFixed(0)} MB/s | |`,
				`| the same bytes written to the storage directly | ${direct.toFixed(0)} MB/s | |`,
				`| HTTP / direct | ${(http / direct).toFixed(2)} | |`,
				`| ten concurrent 25 MB uploads: server RSS before | ${(before / 1024).toFixed(0)} MB | |`,
				`| peak RSS growth during them (${seconds.toFixed(1)} s) | ${growthMb.toFixed(0)} MB | < ${RSS_TARGET_MB} MB ${growthMb < RSS_TARGET_MB ? '✓' : '✗'} |`,
				''
			].join('\n')
		);
		if (growthMb >= RSS_TARGET_MB) process.exitCode = 1;
	} finally {
		await server?.stop();
		snapshot.remove();
		await database.close();
		await admin.unsafe(`drop database if exists "${name}" with (force)`);
		await admin.end();
		await rm(dir, { recursive: true, force: true });
	}
}

await main();
