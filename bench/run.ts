// npm run bench [-- --messages 1000000 --duration 10 ...]: builds two data sets in Postgres,
// starts the production build on each and measures the messaging endpoints over HTTP beside the
// same domain functions called directly. See docs/benchmarks.md.

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import * as prettier from 'prettier';
import { createSession, generateSessionToken, SESSION_COOKIE } from '../src/lib/server/auth';
import { openDatabase, rowsOf, type Database } from '../src/lib/server/db';
import { listMessages, sendMessage } from '../src/lib/server/messaging/messages';
import { getUnreadCount, markThreadRead } from '../src/lib/server/messaging/read-state';
import { listInbox } from '../src/lib/server/messaging/threads';
import {
	buildDataset,
	checkInvariants,
	scaledShape,
	validateShape,
	type Dataset,
	type DatasetShape
} from './dataset';
import { explainOperations, plansMarkdown, type ExplainedOperation } from './explain';
import { measureCpu, type CpuShare } from './cpu';
import { runDirect, runHttp, runPaced, type RunLimit } from './load';
import { buildReport, type Environment, type InvariantCheck, type ScenarioResult } from './report';
import {
	counterpartWrites,
	INBOX_LIMIT,
	markReadScenario,
	PAGE_LIMIT,
	readScenarios,
	sendScenarios,
	type Scenario
} from './scenarios';
import { snapshotBuild, startServer, type RunningServer } from './server';
import { fmtMs, fmtRate, medianOfRuns } from './stats';

/** Read endpoints with a latency target, measured again at PACED_SHARE of their throughput. */
const PACED_KEYS = ['unread', 'inbox'];
const PACED_SHARE = 0.5;
/** Threads marked read per mark-read run: each needs a send first, which takes the time. */
const MARK_READ_THREADS = 2000;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ---- options ------------------------------------------------------------------------------

const DEFAULTS = {
	users: 10_000,
	contracts: 50_000,
	messages: 1_000_000,
	'busy-threads': 5_000,
	'small-messages': 10_000,
	duration: 10,
	connections: 20,
	runs: 3,
	warmup: 2,
	pool: 10
};
type NumericOption = keyof typeof DEFAULTS;
const FLAGS = ['unprepared', 'skip-build', 'keep-databases', 'help'] as const;

const USAGE = `npm run bench -- [options]

  --users N            users in the large data set (${DEFAULTS.users})
  --contracts N        contracts, one thread each (${DEFAULTS.contracts})
  --messages N         messages (${DEFAULTS.messages})
  --busy-threads N     threads of the one busy provider (${DEFAULTS['busy-threads']})
  --small-messages N   messages in the small data set, same shape scaled (${DEFAULTS['small-messages']})
  --duration S         seconds per run (${DEFAULTS.duration})
  --connections N      concurrent HTTP connections, and direct workers (${DEFAULTS.connections})
  --runs N             runs per figure; the report shows medians (${DEFAULTS.runs})
  --warmup S           warm-up seconds before each endpoint's runs (${DEFAULTS.warmup})
  --pool N             database pool of the app and of the direct runs (${DEFAULTS.pool})
  --unprepared         DATABASE_PREPARE=false: every statement planned at each call
  --skip-build         use the existing build/ instead of running npm run build
  --keep-databases     do not drop the parley_bench_* databases at the end

Postgres: BENCH_DATABASE_URL, else DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test.
Only the server is used from it: two fresh databases are created beside it and dropped after.`;

function parseArgs(argv: string[]) {
	const numbers: Record<NumericOption, number> = { ...DEFAULTS };
	const flags = new Set<string>();
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i]!;
		const [name, inline] = arg.replace(/^--/, '').split('=', 2) as [string, string | undefined];
		if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}\n\n${USAGE}`);
		if ((FLAGS as readonly string[]).includes(name)) {
			flags.add(name);
		} else if (name in DEFAULTS) {
			const raw = inline ?? argv[++i];
			const value = Number(raw?.replace(/_/g, ''));
			const seconds = name === 'duration' || name === 'warmup';
			if (!(seconds ? Number.isFinite(value) : Number.isSafeInteger(value)))
				throw new Error(`--${name} needs a ${seconds ? 'number' : 'whole number'}`);
			if (value < (name === 'warmup' ? 0 : 1)) throw new Error(`--${name} is too small`);
			numbers[name as NumericOption] = value;
		} else {
			throw new Error(`unknown option ${arg}\n\n${USAGE}`);
		}
	}
	return {
		...numbers,
		skipBuild: flags.has('skip-build'),
		keepDatabases: flags.has('keep-databases'),
		unprepared: flags.has('unprepared'),
		help: flags.has('help')
	};
}

// ---- helpers ------------------------------------------------------------------------------

/** Results are meant to be committed: written as `npm run format` would, so lint stays clean. */
async function writeFormatted(file: string, text: string): Promise<void> {
	const options = (await prettier.resolveConfig(file)) ?? {};
	writeFileSync(file, await prettier.format(text, { ...options, filepath: file }));
}

const log = (line: string) => console.log(line);

function withDatabase(url: string, name: string): string {
	const parsed = new URL(url);
	parsed.pathname = `/${name}`;
	return parsed.toString();
}

interface BenchDatabase {
	label: 'small' | 'large';
	url: string;
	dataset: Dataset;
	/** The direct side: the app's own openDatabase(), with the app's pool size. */
	direct: Database;
	cookie: string;
	server?: RunningServer;
}

async function createDataset(
	admin: postgres.Sql,
	adminUrl: string,
	name: string,
	label: 'small' | 'large',
	shape: DatasetShape,
	pool: { size: number; prepare: boolean }
): Promise<BenchDatabase> {
	log(
		`\n${label} data set (${name}): ${shape.users} users, ${shape.contracts} contracts, ${shape.messages} messages, ${shape.busyThreads} busy threads`
	);
	await admin.unsafe(`create database "${name}"`);
	const url = withDatabase(adminUrl, name);
	const direct = openDatabase({
		driver: 'postgres',
		url,
		maxConnections: pool.size,
		prepare: pool.prepare
	});
	await direct.migrate();
	const loader = postgres(url, { max: 1, onnotice: () => {} });
	let dataset: Dataset;
	try {
		dataset = await buildDataset(loader, shape, log);
	} finally {
		await loader.end();
	}
	const token = generateSessionToken();
	await createSession(direct.db, token, dataset.busyProviderId);
	return { label, url, dataset, direct, cookie: `${SESSION_COOKIE}=${token}` };
}

async function sampleThreads(url: string, ds: Dataset): Promise<string[]> {
	const sql = postgres(url, { max: 1, onnotice: () => {} });
	try {
		// About 500 random threads, plus every thread of the busy provider (the ones the write
		// scenarios change).
		const rows = await sql<{ id: string }[]>`
			select t.id from message_threads t join contracts c on c.id = t.contract_id
			where c.provider_id = ${ds.busyProviderId}
			union
			(select id from message_threads order by random() limit 500)`;
		return rows.map((r) => r.id);
	} finally {
		await sql.end();
	}
}

async function invariantCheck(db: BenchDatabase, threadIds: string[]) {
	const sql = postgres(db.url, { max: 1, onnotice: () => {} });
	try {
		return await checkInvariants(sql, threadIds);
	} finally {
		await sql.end();
	}
}

/** One real request, so that a broken endpoint fails loudly instead of measuring 401s. */
async function probe(db: BenchDatabase, scenario: Scenario): Promise<void> {
	const http = scenario.http(db.dataset, db.cookie);
	const response = await fetch(`${db.server!.baseUrl}${http.path()}`, {
		method: http.method,
		headers: {
			cookie: http.cookie,
			...(http.body ? { 'content-type': 'application/json' } : {})
		},
		body: http.body
	});
	const text = await response.text();
	if (!response.ok) {
		throw new Error(
			`${scenario.name} (${db.label}): ${response.status} ${text.slice(0, 500)}\n${db.server!.output()}`
		);
	}
}

function describe(
	kind: string,
	r: { perSecond: number; p50: number; p99: number; failed: number; cpu?: CpuShare }
) {
	const cpu =
		r.cpu && !Number.isNaN(r.cpu.machine)
			? ` [${r.cpu.machine.toFixed(1)} cores busy, ${r.cpu.other.toFixed(1)} by others]`
			: '';
	return `${kind} ${fmtRate(r.perSecond)}/s p50 ${fmtMs(r.p50)} p99 ${fmtMs(r.p99)}${r.failed ? ` (${r.failed} failed)` : ''}${cpu}`;
}

// ---- main ---------------------------------------------------------------------------------

async function main() {
	const started = performance.now();
	const options = parseArgs(process.argv.slice(2));
	if (options.help) {
		console.log(USAGE);
		return;
	}
	const largeShape: DatasetShape = {
		users: options.users,
		contracts: options.contracts,
		messages: options.messages,
		busyThreads: options['busy-threads']
	};
	validateShape(largeShape);
	const smallShape = scaledShape(largeShape, options['small-messages']);
	validateShape(smallShape);
	const limit: RunLimit = { connections: options.connections, duration: options.duration };
	const warm: RunLimit = { connections: options.connections, duration: options.warmup };
	// The app's database settings, for its server and for the direct runs alike.
	const pool = { size: options.pool, prepare: !options.unprepared };

	if (!options.skipBuild) {
		log('npm run build …');
		const t0 = performance.now();
		const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
		if (build.status !== 0)
			throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
		log(`  built in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
	}
	const snapshot = snapshotBuild(ROOT);

	const adminUrl =
		process.env.BENCH_DATABASE_URL?.trim() ||
		process.env.DATABASE_URL?.trim() ||
		'postgres://postgres@127.0.0.1:5432/test';
	const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
	const stamp = Date.now();
	const names = { large: `parley_bench_large_${stamp}`, small: `parley_bench_small_${stamp}` };
	const dbs: BenchDatabase[] = [];

	let cleaningUp = false;
	const cleanup = async () => {
		if (cleaningUp) return;
		cleaningUp = true;
		for (const db of dbs) {
			await db.server?.stop();
			await db.direct.close().catch(() => {});
		}
		snapshot.remove();
		if (!options.keepDatabases) {
			for (const name of Object.values(names)) {
				await admin.unsafe(`drop database if exists "${name}" with (force)`).catch(() => {});
			}
		} else {
			log(`\nkept databases ${Object.values(names).join(', ')}`);
		}
		await admin.end();
	};
	process.once('SIGINT', () => {
		log('\ninterrupted: stopping the servers and dropping the databases …');
		void cleanup().finally(() => process.exit(130));
	});

	try {
		const [pgVersion] = await admin<{ v: string }[]>`select split_part(version(), ' on ', 1) as v`;
		const [sharedBuffers] = await admin<
			{ v: string }[]
		>`select current_setting('shared_buffers') as v`;
		const environment: Environment = {
			date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
			cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
			cores: os.cpus().length,
			memoryGb: Math.round(os.totalmem() / 2 ** 30),
			node: process.version,
			postgres: pgVersion!.v,
			sharedBuffers: sharedBuffers!.v,
			loadBefore: os.loadavg(),
			loadAfter: []
		};

		const large = await createDataset(admin, adminUrl, names.large, 'large', largeShape, pool);
		dbs.push(large);
		const small = await createDataset(admin, adminUrl, names.small, 'small', smallShape, pool);
		dbs.push(small);

		const invariants: InvariantCheck[] = [];
		for (const db of dbs) {
			const ids = await sampleThreads(db.url, db.dataset);
			const { violations } = await invariantCheck(db, ids);
			invariants.push({
				when: `after building the ${db.label} set`,
				threads: ids.length,
				violations
			});
			if (violations.length)
				throw new Error(`the ${db.label} data set is inconsistent: ${violations.join('; ')}`);
		}
		log('\ninvariants hold on the sampled threads of both data sets');

		// Plans of the statements behind each endpoint, on the large set before any load.
		log('explaining the queries …');
		const ds = large.dataset;
		// A busy thread with something unread, so that mark-read has work to do.
		const [unreadThread] = rowsOf<{ contract_id: string }>(
			await large.direct.db.execute(sql`
				select t.contract_id from message_thread_participants p
				join message_threads t on t.id = p.thread_id
				where p.user_id = ${ds.busyProviderId} and p.unread_count > 0 limit 1`)
		);
		const plans: ExplainedOperation[] = await explainOperations(large.url, [
			{ name: 'Unread count', run: (db) => getUnreadCount(db, ds.busyProviderId) },
			{
				name: `Inbox, first page (${INBOX_LIMIT})`,
				run: (db) => listInbox(db, ds.busyProviderId, { limit: INBOX_LIMIT })
			},
			{
				name: `Thread, first page (${PAGE_LIMIT})`,
				run: (db) => listMessages(db, ds.busyProviderId, ds.hotContractId, { limit: PAGE_LIMIT })
			},
			{
				name: 'Send a message',
				run: (db) =>
					sendMessage(
						db,
						ds.busyProviderId,
						ds.busyContracts[1]?.contractId ?? ds.hotContractId,
						'explain'
					)
			},
			{
				name: 'Mark a thread read',
				run: (db) =>
					markThreadRead(db, ds.busyProviderId, unreadThread?.contract_id ?? ds.hotContractId)
			}
		]);

		for (const db of dbs) {
			db.server = await startServer({
				root: ROOT,
				entry: snapshot.entry,
				databaseUrl: db.url,
				poolSize: options.pool,
				prepare: !options.unprepared
			});
			log(`${db.label} server on ${db.server.baseUrl}`);
		}

		const results: ScenarioResult[] = [];
		const runScenario = async (
			scenario: Scenario,
			targets: BenchDatabase[],
			runLimit: RunLimit,
			prepare?: (db: BenchDatabase) => Promise<void>,
			after?: (db: BenchDatabase, result: ScenarioResult) => Promise<void>
		) => {
			log(`\n${scenario.name}`);
			const entries = targets.map((db) => {
				const result: ScenarioResult = {
					key: scenario.key,
					name: scenario.name,
					dataset: db.label,
					http: [],
					direct: [],
					notes: []
				};
				results.push(result);
				return { db, result };
			});
			for (const { db } of entries) {
				await probe(db, scenario);
				if (!prepare && options.warmup > 0) {
					await runHttp(db.server!.baseUrl, scenario.http(db.dataset, db.cookie), warm);
					await runDirect(scenario.direct(db.dataset, db.direct.db), warm);
				}
			}
			// Runs alternate between the layers and the data sets, so that a slow patch of the
			// shared machine does not land on one side of a ratio only.
			for (let run = 1; run <= options.runs; run++) {
				for (const { db, result } of entries) {
					await prepare?.(db);
					let stopCpu = measureCpu(db.server!.pid);
					const http = await runHttp(
						db.server!.baseUrl,
						scenario.http(db.dataset, db.cookie),
						runLimit
					);
					http.cpu = stopCpu();
					result.http.push(http);
					await after?.(db, result);
					await prepare?.(db);
					stopCpu = measureCpu(db.server!.pid);
					const direct = await runDirect(scenario.direct(db.dataset, db.direct.db), runLimit);
					direct.cpu = stopCpu();
					result.direct.push(direct);
					await after?.(db, result);
					const bad = Object.entries(http.notOk)
						.map(([k, v]) => `${v}× ${k}`)
						.join(', ');
					log(
						`  run ${run} ${db.label}: ${describe('HTTP', http)}${bad ? ` [${bad}: ${http.sampleError}]` : ''}; ${describe('direct', direct)}${direct.sampleError ? ` [${direct.sampleError}]` : ''}`
					);
				}
			}
		};

		for (const scenario of readScenarios) await runScenario(scenario, [small, large], limit);

		// The runs above saturate the machine, so their latencies are mostly queueing (20
		// connections at N req/s wait about 20/N s each). The endpoints with a latency target are
		// measured again at a steady half of that throughput: the latency a request sees when the
		// server keeps up.
		for (const key of PACED_KEYS) {
			const result = results.find((r) => r.key === key && r.dataset === 'large');
			const scenario = readScenarios.find((r) => r.key === key);
			if (!result || !scenario) continue;
			const rate = Math.max(1, Math.round(PACED_SHARE * medianOfRuns(result.http).perSecond));
			log(`\n${scenario.name}, paced at ${rate} req/s`);
			result.paced = { rate, runs: [] };
			for (let run = 1; run <= options.runs; run++) {
				const stopCpu = measureCpu(large.server!.pid);
				const http = await runPaced(
					large.server!.baseUrl,
					scenario.http(large.dataset, large.cookie),
					{ ...limit, rate }
				);
				http.cpu = stopCpu();
				result.paced.runs.push(http);
				log(`  run ${run} large: ${describe('HTTP', http)}`);
			}
		}

		for (const scenario of sendScenarios) await runScenario(scenario, [large], limit);

		// Mark-read does real work only once per thread, so each run first has the counterpart
		// of every thread in the set write one message (through sendMessage), then marks each of
		// those threads read exactly once: a fixed count of operations instead of a duration.
		const markContracts = large.dataset.busyContracts.slice(0, MARK_READ_THREADS);
		const markDb: BenchDatabase = {
			...large,
			dataset: { ...large.dataset, busyContracts: markContracts }
		};
		await runScenario(
			markReadScenario,
			[markDb],
			{
				connections: Math.min(options.connections, markContracts.length),
				duration: options.duration,
				amount: markContracts.length
			},
			async (db) => {
				await runDirect(counterpartWrites(db.dataset, db.direct.db), {
					connections: options.connections,
					duration: 0,
					amount: markContracts.length
				});
			},
			async (db, result) => {
				const [row] = rowsOf<{ n: number }>(
					await db.direct.db.execute(sql`
						select count(*)::int as n from message_thread_participants p
						join message_threads t on t.id = p.thread_id
						where p.user_id = ${db.dataset.busyProviderId} and p.unread_count > 0
							and t.contract_id = any(${`{${markContracts.map((c) => c.contractId).join(',')}}`}::uuid[])`)
				);
				if (row && row.n > 0)
					result.notes.push(`a run left ${row.n} threads unread (not every request did work)`);
			}
		);
		results
			.find((r) => r.key === 'mark-read')
			?.notes.unshift(
				`each run: ${markContracts.length} threads, each with one new message from the counterpart, marked read once`
			);

		for (const db of dbs) await db.server?.stop();

		const ids = await sampleThreads(large.url, large.dataset);
		const { violations } = await invariantCheck(large, ids);
		invariants.push({
			when: 'on the large set after all the writes',
			threads: ids.length,
			violations
		});
		environment.loadAfter = os.loadavg();

		const report = buildReport({
			command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
			options: {
				duration: options.duration,
				connections: options.connections,
				runs: options.runs,
				pool: options.pool,
				warmup: options.warmup,
				prepare: !options.unprepared
			},
			environment,
			datasets: { small: small.dataset, large: large.dataset },
			results,
			invariants,
			plans,
			totalSeconds: (performance.now() - started) / 1000
		});
		const dir = path.join(ROOT, 'bench', 'results');
		mkdirSync(dir, { recursive: true });
		await writeFormatted(path.join(dir, 'latest.md'), report);
		await writeFormatted(
			path.join(dir, 'plans.md'),
			plansMarkdown(
				`Query plans at ${large.dataset.shape.messages.toLocaleString('en')} messages`,
				plans
			)
		);
		await writeFormatted(
			path.join(dir, 'latest.json'),
			JSON.stringify({
				environment,
				datasets: { small: small.dataset, large: { ...large.dataset, busyContracts: undefined } },
				results,
				invariants
			})
		);
		console.log(`\n${report}`);
		log(`written to bench/results/latest.md, latest.json and plans.md`);
		if (violations.length)
			throw new Error(`invariants broken after the writes: ${violations.join('; ')}`);
	} finally {
		await cleanup();
	}
}

main().catch((error) => {
	console.error(error instanceof Error ? (error.stack ?? error.message) : error);
	process.exit(1);
});
