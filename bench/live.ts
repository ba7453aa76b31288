// `npm run bench:live`: N concurrent SSE clients on the production build while messages are sent;
// latency from send to arrival, and the server's memory per open stream.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { generateSessionToken, hashPassword, sessionIdFromToken } from '../src/lib/server/auth';
import { openDatabase } from '../src/lib/server/db';
import { snapshotBuild, startServer } from './server';
import { fmtMs, percentile } from './stats';

function option(name: string, fallback: number): number {
	const i = process.argv.indexOf(`--${name}`);
	const value = i >= 0 ? Number(process.argv[i + 1]) : NaN;
	return Number.isFinite(value) && value > 0 ? value : fallback;
}

const CLIENTS = option('clients', 2000);
const RATE = option('rate', 50);
const SECONDS = option('duration', 10);
const ROOT = path.resolve(import.meta.dirname, '..');
const BASE_URL =
	process.env.BENCH_DATABASE_URL ??
	process.env.DATABASE_URL ??
	'postgres://postgres@127.0.0.1:5432/test';

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

async function main() {
	const name = `parley_bench_live_${Date.now()}`;
	const admin = postgres(BASE_URL, { max: 1, onnotice: () => {} });
	await admin.unsafe(`create database "${name}"`);
	const url = withDatabase(BASE_URL, name);
	const database = openDatabase({ driver: 'postgres', url });
	let server: Awaited<ReturnType<typeof startServer>> | null = null;
	const snapshot = snapshotBuild(ROOT);
	const sockets: IncomingMessage[] = [];
	try {
		await database.migrate();
		// One provider and one contract (and thread) per client, each client a different renter.
		const hash = await hashPassword('parley-bench');
		const sql = postgres(url, { max: 2, onnotice: () => {} });
		const [provider] = await sql<{ id: string }[]>`
			insert into users (email, display_name, password_hash) values ('live-provider@bench.test', 'Live Provider', ${hash}) returning id`;
		const renters = await sql<{ id: string }[]>`
			insert into users (email, display_name, password_hash)
			select 'live-' || g || '@bench.test', 'Renter ' || g, ${hash} from generate_series(1, ${CLIENTS}) g
			returning id`;
		const [offering] = await sql<{ id: string }[]>`
			insert into offerings (provider_id, name, description, monthly_price_cents)
			values (${provider!.id}, 'Live bench', 'x', 100) returning id`;
		const contracts = await sql<{ id: string; requester_id: string }[]>`
			insert into contracts (offering_id, requester_id, provider_id, title, monthly_price_cents, status)
			select ${offering!.id}, id, ${provider!.id}, 'Live bench', 100, 'active' from users where id <> ${provider!.id}
			returning id, requester_id`;
		const expires = new Date(Date.now() + 86_400_000);
		const tokens = new Map<string, string>();
		const providerToken = generateSessionToken();
		const sessionRows = [
			{ id: sessionIdFromToken(providerToken), user_id: provider!.id, expires_at: expires }
		];
		for (const r of renters) {
			const token = generateSessionToken();
			tokens.set(r.id, token);
			sessionRows.push({ id: sessionIdFromToken(token), user_id: r.id, expires_at: expires });
		}
		await sql`insert into sessions ${sql(sessionRows, 'id', 'user_id', 'expires_at')}`;
		await sql.end();

		server = await startServer({
			root: ROOT,
			entry: snapshot.entry,
			databaseUrl: url,
			poolSize: 10,
			prepare: true
		});
		const { hostname, port } = new URL(server.baseUrl);
		await sleep(1000);
		const before = rssKb(server.pid!);

		// Open every stream; each waits for its first event (the initial unread count).
		const arrivals = new Map<string, number>();
		let opened = 0;
		await Promise.all(
			contracts.map(
				(c) =>
					new Promise<void>((resolve, reject) => {
						const req = httpRequest(
							{
								host: hostname,
								port,
								path: '/api/messages/stream',
								headers: {
									cookie: `parley_session=${tokens.get(c.requester_id)}`,
									accept: 'text/event-stream'
								}
							},
							(res) => {
								if (res.statusCode !== 200) return reject(new Error(`stream ${res.statusCode}`));
								sockets.push(res);
								let buffer = '';
								let first = true;
								res.setEncoding('utf8');
								res.on('data', (chunk: string) => {
									buffer += chunk;
									if (first && buffer.includes('unread.changed')) {
										first = false;
										opened++;
										resolve();
									}
									let at;
									while ((at = buffer.indexOf('\n\n')) >= 0) {
										const block = buffer.slice(0, at);
										buffer = buffer.slice(at + 2);
										const match = /event: message\.created\ndata: .*"body":"probe ([^"\s]+)"/.exec(
											block
										);
										if (match && !arrivals.has(match[1]!))
											arrivals.set(match[1]!, performance.now());
									}
								});
							}
						);
						req.on('error', reject);
						req.end();
					})
			)
		);
		await sleep(2000);
		const after = rssKb(server.pid!);

		// Send at a steady rate to random contracts, as the provider, over HTTP.
		const sent = new Map<string, number>();
		const total = RATE * SECONDS;
		const sends: Promise<void>[] = [];
		const start = performance.now();
		for (let i = 0; i < total; i++) {
			const due = start + (i * 1000) / RATE;
			const wait = due - performance.now();
			if (wait > 0) await sleep(wait);
			const contract = contracts[Math.floor(Math.random() * contracts.length)]!;
			const id = `${i}-${Math.random().toString(36).slice(2, 8)}`;
			sent.set(id, performance.now());
			sends.push(
				fetch(`${server.baseUrl}/api/contracts/${contract.id}/messages`, {
					method: 'POST',
					headers: {
						'content-type': 'application/json',
						cookie: `parley_session=${providerToken}`
					},
					body: JSON.stringify({ body: `probe ${id}` })
				}).then(async (r) => {
					if (r.status !== 201) throw new Error(`send ${r.status}`);
					await r.arrayBuffer();
				})
			);
		}
		await Promise.all(sends);
		await sleep(3000);

		const latencies = [...sent]
			.filter(([id]) => arrivals.has(id))
			.map(([id, t]) => arrivals.get(id)! - t)
			.sort((a, b) => a - b);
		const sorted = Float64Array.from(latencies);
		const perConnKb = (after - before) / CLIENTS;
		const lines = [
			`## Live updates: ${CLIENTS.toLocaleString('en')} SSE clients`,
			'',
			`${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, \`npm run bench:live\`: ${CLIENTS} streams open on one production server (Postgres), ${total} messages sent over HTTP at ${RATE}/s to random threads, latency from the send request to the event's arrival at the recipient's stream.`,
			'',
			'| Streams open | Messages sent | Delivered | p50 | p99 | max | Server RSS before | after opening | per stream |',
			'| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
			`| ${opened} | ${total} | ${latencies.length} | ${fmtMs(percentile(sorted, 0.5))} | ${fmtMs(percentile(sorted, 0.99))} | ${fmtMs(sorted.at(-1) ?? NaN)} | ${(before / 1024).toFixed(0)} MB | ${(after / 1024).toFixed(0)} MB | ${perConnKb.toFixed(1)} KB |`,
			''
		];
		console.log(lines.join('\n'));
	} finally {
		for (const s of sockets) s.destroy();
		await server?.stop();
		snapshot.remove();
		await database.close();
		await admin.unsafe(`drop database if exists "${name}" with (force)`);
		await admin.end();
	}
}

await main();
