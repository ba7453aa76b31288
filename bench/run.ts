// npm run bench [-- --messages 1000000 --duration 10 ...]: builds two data sets in Postgres,
// starts the production build on each and measures the messaging endpoints over HTTP beside the
// same domain functions called directly. With --baseline <ref>, another commit's build runs on
// identical copies of the data sets, alternating with the working tree's. See docs/benchmarks.md.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import * as prettier from 'prettier';
import { generateApiToken, hashApiToken } from '../src/lib/server/api-tokens';
import { generateSessionToken, SESSION_COOKIE, sessionIdFromToken } from '../src/lib/server/auth';
import { openDatabase, rowsOf, type Database } from '../src/lib/server/db';
import { SEARCH_BOX_LIMIT } from '../src/lib/search';
import {
	getUnreadCount,
	listInbox,
	listMessages,
	markThreadRead,
	searchMessages
} from '../src/lib/server/messaging';
import { migrationJournal, prepareBaseline, type Baseline } from './baseline';
import {
	buildDataset,
	checkInvariants,
	scaledShape,
	SEARCH_WORDS,
	validateShape,
	type Dataset,
	type DatasetShape
} from './dataset';
import { explainOperations, plansMarkdown, type ExplainedOperation } from './explain';
import { measureCpu, type CpuShare } from './cpu';
import {
	requestHeaders,
	runDirect,
	runHttp,
	runPaced,
	type HttpRunSummary,
	type HttpScenario,
	type RunLimit
} from './load';
import {
	buildReport,
	type Environment,
	type InvariantCheck,
	type ScenarioResult,
	type Side
} from './report';
import {
	editScenarios,
	INBOX_LIMIT,
	markReadScenario,
	PAGE_LIMIT,
	PREPARED_THREADS,
	readScenarios,
	SEARCH_LIMIT,
	searchScenarios,
	sendMessage,
	sendScenarios,
	type Scenario,
	type SideContext
} from './scenarios';
import { snapshotBuild, startServer, type RunningServer } from './server';
import { fmtMs, fmtRate, medianOfRuns } from './stats';

/** Read endpoints with a latency target, measured again at PACED_SHARE of their throughput. */
const PACED_KEYS = [
	'unread',
	'inbox',
	'search-rare',
	'search-common',
	'search-phrase',
	'search-prefix'
];
const PACED_SHARE = 0.5;

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
/** --runs under --baseline when not given. */
const BASELINE_RUNS = 4;
const FLAGS = ['unprepared', 'skip-build', 'keep-databases', 'no-live', 'help'] as const;

const USAGE = `npm run bench -- [options]

  --baseline REF       also measure the build of commit REF (e.g. main, HEAD~3, 689c860) on
                       identical copies of the data sets, alternating runs with the working
                       tree, and report every figure as a ratio to it
  --users N            users in the large data set (${DEFAULTS.users})
  --contracts N        contracts, one thread each (${DEFAULTS.contracts})
  --messages N         messages (${DEFAULTS.messages})
  --busy-threads N     threads of the one busy provider (${DEFAULTS['busy-threads']})
  --small-messages N   messages in the small data set, same shape scaled (${DEFAULTS['small-messages']})
  --duration S         seconds per run (${DEFAULTS.duration})
  --connections N      concurrent HTTP connections, and direct workers (${DEFAULTS.connections})
  --runs N             runs per figure; the report shows medians (${DEFAULTS.runs}; ${BASELINE_RUNS} with --baseline)
  --warmup S           warm-up seconds before each endpoint's runs (${DEFAULTS.warmup})
  --pool N             database pool of the app and of the direct runs (${DEFAULTS.pool})
  --unprepared         DATABASE_PREPARE=false: every statement planned at each call
  --skip-build         use the existing build/ instead of running npm run build
  --keep-databases     do not drop the parley_bench_* databases at the end
  --only KEYS          only these rows, comma-separated: unread, unread-bearer, inbox, thread,
                       search-rare, search-common, search-phrase, search-prefix, search-box,
                       search-everywhere,
                       send-hot, send-spread, send-masked, mark-read, edit, delete, mark-unread
  --no-live            skip the live-updates and upload parts (npm run bench:live,
                       npm run bench:uploads); --baseline skips them too

Postgres: BENCH_DATABASE_URL, else DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test.
Only the server is used from it: fresh databases are created beside it and dropped after.
Baseline builds: BENCH_BASELINE_DIR, else ../<this folder's name>.bench-baselines/<commit>.`;

function parseArgs(argv: string[]) {
	const numbers: Record<NumericOption, number> = { ...DEFAULTS };
	const flags = new Set<string>();
	const given = new Set<string>();
	let baseline: string | undefined;
	let only: Set<string> | undefined;
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i]!;
		const [name, inline] = arg.replace(/^--/, '').split('=', 2) as [string, string | undefined];
		if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}\n\n${USAGE}`);
		if ((FLAGS as readonly string[]).includes(name)) {
			flags.add(name);
		} else if (name === 'baseline') {
			baseline = (inline ?? argv[++i])?.trim();
			if (!baseline || baseline.startsWith('--')) throw new Error('--baseline needs a git ref');
		} else if (name === 'only') {
			const keys = (inline ?? argv[++i] ?? '').split(',').map((k) => k.trim());
			if (!keys[0] || keys[0].startsWith('--')) throw new Error('--only needs row keys');
			only = new Set(keys);
		} else if (name in DEFAULTS) {
			const raw = inline ?? argv[++i];
			const value = Number(raw?.replace(/_/g, ''));
			const seconds = name === 'duration' || name === 'warmup';
			if (!(seconds ? Number.isFinite(value) : Number.isSafeInteger(value)))
				throw new Error(`--${name} needs a ${seconds ? 'number' : 'whole number'}`);
			if (value < (name === 'warmup' ? 0 : 1)) throw new Error(`--${name} is too small`);
			numbers[name as NumericOption] = value;
			given.add(name);
		} else {
			throw new Error(`unknown option ${arg}\n\n${USAGE}`);
		}
	}
	// Under --baseline the versions take turns going first: an even count balances the turns.
	if (baseline && !given.has('runs')) numbers.runs = BASELINE_RUNS;
	return {
		...numbers,
		baseline,
		only,
		given,
		skipBuild: flags.has('skip-build'),
		keepDatabases: flags.has('keep-databases'),
		unprepared: flags.has('unprepared'),
		live: !flags.has('no-live') && !baseline,
		help: flags.has('help')
	};
}
type Options = ReturnType<typeof parseArgs>;

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

/** One version of the app: where its sources (and so its migrations) are, and its build. */
interface Version {
	side: Side;
	root: string;
	/** The snapshot of its build/ that the servers run. */
	entry: string;
}

interface BenchDatabase {
	label: 'small' | 'large';
	side: Side;
	url: string;
	dataset: Dataset;
	/** The direct side: the app's own openDatabase(), with the app's pool size (working tree only). */
	direct?: Database;
	/** The busy provider's session. */
	cookie: string;
	/** Sessions of the requesters of the first PREPARED_THREADS busy contracts, in that order. */
	counterpartCookies: string[];
	/** The busy provider's API token (messages:read), for the bearer rows. */
	bearer: string;
	server?: RunningServer;
}

/** One data set: the working tree's database and, under --baseline, the baseline's copy. */
interface DataSet {
	label: 'small' | 'large';
	current: BenchDatabase;
	baseline?: BenchDatabase;
}

const databasesOf = (set: DataSet) => (set.baseline ? [set.baseline, set.current] : [set.current]);

/** Applies a migrations folder; answers how many migrations the database had before and after. */
async function migrateWith(
	url: string,
	folder: string
): Promise<{ before: number; after: number }> {
	const client = postgres(url, { max: 1, onnotice: () => {} });
	const applied = async () => {
		const [table] = await client<{ t: string | null }[]>`
			select to_regclass('drizzle.__drizzle_migrations')::text as t`;
		if (!table?.t) return 0;
		const [row] = await client<{ n: number }[]>`
			select count(*)::int as n from drizzle.__drizzle_migrations`;
		return row!.n;
	};
	try {
		const before = await applied();
		await migrate(drizzle({ client }), { migrationsFolder: folder });
		return { before, after: await applied() };
	} finally {
		await client.end();
	}
}

/**
 * Session rows written with SQL, not through the app's code, so that either version can read
 * them: the busy provider's, and one per requester of the first PREPARED_THREADS busy contracts
 * (who write the messages that the read scenarios then read).
 */
async function createSessions(
	loader: postgres.Sql,
	ds: Dataset
): Promise<{ cookie: string; counterpartCookies: string[] }> {
	const tokens = new Map<string, string>();
	const tokenOf = (userId: string) => {
		let token = tokens.get(userId);
		if (!token) tokens.set(userId, (token = generateSessionToken()));
		return token;
	};
	const cookie = `${SESSION_COOKIE}=${tokenOf(ds.busyProviderId)}`;
	const counterpartCookies = ds.busyContracts
		.slice(0, PREPARED_THREADS)
		.map((c) => `${SESSION_COOKIE}=${tokenOf(c.requesterId)}`);
	const rows = [...tokens].map(([userId, token]) => ({
		id: sessionIdFromToken(token),
		user_id: userId,
		expires_at: new Date(Date.now() + 30 * 86_400_000)
	}));
	await loader`insert into sessions ${loader(rows, 'id', 'user_id', 'expires_at')}`;
	return { cookie, counterpartCookies };
}

/**
 * The busy provider's API token, written with SQL into a database on the working tree's schema
 * (under --baseline the baseline's copy may not have the table, and its build answers 401).
 */
async function createApiTokenRow(url: string, ds: Dataset): Promise<string> {
	const token = generateApiToken();
	const client = postgres(url, { max: 1, onnotice: () => {} });
	try {
		await client`
			insert into api_tokens (user_id, name, kind, scopes, token_hash, prefix)
			values (${ds.busyProviderId}, 'bench', 'personal', ${['messages:read']}::text[],
				${hashApiToken(token)}, ${token.slice(0, 17)})`;
	} finally {
		await client.end();
	}
	return token;
}

/** A scenario's requests on one database: the bearer rows carry the API token, not the cookie. */
function httpOf(scenario: Scenario, db: BenchDatabase, work: string[]): HttpScenario {
	const http = scenario.http(db.dataset, db.cookie, work);
	return scenario.auth === 'bearer'
		? { ...http, cookie: '', headers: { ...http.headers, authorization: `Bearer ${db.bearer}` } }
		: http;
}

async function createDataSet(
	admin: postgres.Sql,
	adminUrl: string,
	name: string,
	label: 'small' | 'large',
	shape: DatasetShape,
	pool: { size: number; prepare: boolean },
	baseline: Baseline | undefined
): Promise<DataSet> {
	log(
		`\n${label} data set (${name}): ${shape.users} users, ${shape.contracts} contracts, ${shape.messages} messages, ${shape.busyThreads} busy threads`
	);
	// Under --baseline the data set is built once on the baseline's schema, in a template that
	// both versions get a copy of (neither runs on the original, whose pages the load left in
	// memory); the working tree's copy is upgraded with its migrations, as production would be.
	const firstName = baseline ? `${name}_template` : name;
	await admin.unsafe(`create database "${firstName}"`);
	const firstUrl = withDatabase(adminUrl, firstName);
	await migrateWith(firstUrl, path.join(baseline?.root ?? ROOT, 'drizzle'));
	const loader = postgres(firstUrl, { max: 1, onnotice: () => {} });
	let dataset: Dataset;
	let sessions: { cookie: string; counterpartCookies: string[] };
	try {
		dataset = await buildDataset(loader, shape, log);
		sessions = await createSessions(loader, dataset);
	} finally {
		await loader.end();
	}
	const url = withDatabase(adminUrl, name);
	let baselineDb: BenchDatabase | undefined;
	if (baseline) {
		const t0 = performance.now();
		const [version] = await admin<
			{ n: number }[]
		>`select current_setting('server_version_num')::int as n`;
		// FILE_COPY (Postgres 15+) copies the files instead of writing every page to the WAL.
		const strategy = version!.n >= 150000 ? ' strategy = file_copy' : '';
		const baselineName = `${name}_baseline`;
		const baselineUrl = withDatabase(adminUrl, baselineName);
		for (const copy of [baselineName, name]) {
			await admin.unsafe(`create database "${copy}" template "${firstName}"${strategy}`);
		}
		await admin.unsafe(`drop database "${firstName}"`);
		const { before, after } = await migrateWith(url, path.join(ROOT, 'drizzle'));
		let note = `${after - before} migrations of the working tree applied`;
		if (after > before) {
			// The upgrade may have rewritten tables or left dead rows: both copies get the same
			// vacuum, fresh statistics and a checkpoint, so neither starts with an advantage.
			for (const dbUrl of [baselineUrl, url]) {
				const client = postgres(dbUrl, { max: 1, onnotice: () => {} });
				try {
					await client.unsafe('vacuum (analyze)');
				} finally {
					await client.end();
				}
			}
			await admin`checkpoint`;
			note += ', both copies vacuumed and analyzed';
		}
		log(`    a copy for each version: ${note}, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
		baselineDb = { label, side: 'baseline', url: baselineUrl, dataset, ...sessions, bearer: '' };
	}
	const bearer = await createApiTokenRow(url, dataset);
	if (baselineDb) baselineDb.bearer = bearer;
	const direct = openDatabase({
		driver: 'postgres',
		url,
		maxConnections: pool.size,
		prepare: pool.prepare
	});
	return {
		label,
		current: { label, side: 'current', url, dataset, direct, ...sessions, bearer },
		baseline: baselineDb
	};
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

function invariantCheck(db: BenchDatabase, threadIds: string[]) {
	return whenConnected(() => checkOn(db, threadIds));
}

async function checkOn(db: BenchDatabase, threadIds: string[]) {
	const sql = postgres(db.url, { max: 1, onnotice: () => {} });
	try {
		return await checkInvariants(sql, threadIds);
	} finally {
		await sql.end();
	}
}

/** A check between runs waits for a free connection rather than ending the whole bench. */
async function whenConnected<T>(fn: () => Promise<T>): Promise<T> {
	for (let attempt = 1; ; attempt++) {
		try {
			return await fn();
		} catch (error) {
			// 53300: too many connections, e.g. while test suites share the server.
			if ((error as { code?: string }).code !== '53300' || attempt >= 30) throw error;
			await new Promise((resolve) => setTimeout(resolve, 1000));
		}
	}
}

/** After a mark-read run: how many of its threads the busy provider still has unread. */
async function threadsLeftUnread(db: BenchDatabase, contractIds: string[]): Promise<number> {
	return whenConnected(() => countLeftUnread(db, contractIds));
}

async function countLeftUnread(db: BenchDatabase, contractIds: string[]): Promise<number> {
	const client = postgres(db.url, { max: 1, onnotice: () => {} });
	try {
		const [row] = await client<{ n: number }[]>`
			select count(*)::int as n from message_thread_participants p
			join message_threads t on t.id = p.thread_id
			where p.user_id = ${db.dataset.busyProviderId} and p.unread_count > 0
				and t.contract_id = any(${contractIds}::uuid[])`;
		return row?.n ?? 0;
	} finally {
		await client.end();
	}
}

const sideContext = (db: BenchDatabase, concurrency: number): SideContext => ({
	baseUrl: db.server!.baseUrl,
	dataset: db.dataset,
	cookie: db.cookie,
	counterpartCookies: db.counterpartCookies,
	concurrency
});

/**
 * One real request, so that a broken endpoint fails loudly instead of measuring 401s. Answers
 * null when it works, or the status when an optional endpoint is not there (404, 405).
 */
async function probe(db: BenchDatabase, scenario: Scenario): Promise<string | null> {
	const work = scenario.prepare ? await scenario.prepare(sideContext(db, 1), 1) : [];
	const http = httpOf(scenario, db, work);
	const body = typeof http.body === 'function' ? http.body() : http.body;
	const response = await fetch(`${db.server!.baseUrl}${http.path()}`, {
		method: http.method,
		headers: requestHeaders({ ...http, body }),
		body
	});
	const text = await response.text();
	if (response.ok) return null;
	// The app's own 404 is `{ "error": { "code": … } }`; a route that does not exist is not.
	const routeMissing =
		response.status === 405 ||
		(response.status === 404 && !text.includes('"code"')) ||
		(scenario.auth === 'bearer' && response.status === 401);
	if (scenario.optional && routeMissing) return `${response.status}`;
	throw new Error(
		`${scenario.name} (${db.label}, ${db.side}): ${response.status} ${text.slice(0, 500)}\n${db.server!.output()}`
	);
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

function describeHttp(http: HttpRunSummary) {
	const bad = Object.entries(http.notOk)
		.map(([k, v]) => `${v}× ${k}`)
		.join(', ');
	return `${describe('HTTP', http)}${bad ? ` [${bad}: ${http.sampleError}]` : ''}`;
}

/** Migrations that the baseline has under the same name as the working tree, but not the same. */
function migrationsChangedInPlace(baselineRoot: string): string[] {
	return migrationJournal(baselineRoot).filter((tag) => {
		const file = (root: string) => path.join(root, 'drizzle', `${tag}.sql`);
		if (!existsSync(file(ROOT))) return true;
		return readFileSync(file(ROOT), 'utf8') !== readFileSync(file(baselineRoot), 'utf8');
	});
}

/** `npm run bench` ends with the live-updates part, as a process of its own. */
function runLive(options: Options): number {
	log('\nlive updates (bench/live.ts) …');
	const args = ['bench/live.ts'];
	if (options.given.has('duration')) args.push('--duration', String(options.duration));
	const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
	return spawnSync(tsx, args, { cwd: ROOT, stdio: 'inherit' }).status ?? 1;
}

/** Then the attachment upload rows (bench/uploads.ts), as a process of its own. */
function runUploads(): number {
	log('\nattachment uploads (bench/uploads.ts) …');
	const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
	return spawnSync(tsx, ['bench/uploads.ts'], { cwd: ROOT, stdio: 'inherit' }).status ?? 1;
}

// ---- main ---------------------------------------------------------------------------------

async function main(): Promise<Options | undefined> {
	const started = performance.now();
	const options = parseArgs(process.argv.slice(2));
	if (options.help) {
		console.log(USAGE);
		return undefined;
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

	const baseline = options.baseline ? prepareBaseline(ROOT, options.baseline, log) : undefined;
	const changedInPlace = baseline ? migrationsChangedInPlace(baseline.root) : [];
	if (changedInPlace.length)
		log(
			`warning: migrations changed since the baseline: ${changedInPlace.join(', ')}; an upgraded database does not run them again`
		);

	if (!options.skipBuild) {
		log('npm run build …');
		const t0 = performance.now();
		const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
		if (build.status !== 0)
			throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
		log(`  built in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
	}
	const snapshots = [snapshotBuild(ROOT)];
	const versions: Record<Side, Version | undefined> = {
		current: { side: 'current', root: ROOT, entry: snapshots[0]!.entry },
		baseline: undefined
	};
	if (baseline) {
		const snapshot = snapshotBuild(baseline.root);
		snapshots.push(snapshot);
		versions.baseline = { side: 'baseline', root: baseline.root, entry: snapshot.entry };
	}

	const adminUrl =
		process.env.BENCH_DATABASE_URL?.trim() ||
		process.env.DATABASE_URL?.trim() ||
		'postgres://postgres@127.0.0.1:5432/test';
	const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
	const stamp = Date.now();
	const names = { large: `parley_bench_large_${stamp}`, small: `parley_bench_small_${stamp}` };
	const allNames = Object.values(names).flatMap((n) =>
		baseline ? [n, `${n}_baseline`, `${n}_template`] : [n]
	);
	const sets: DataSet[] = [];

	// One clean-up, whoever asks first (Ctrl-C or the end): the other waits for the same one.
	let cleaning: Promise<void> | undefined;
	const cleanup = () => (cleaning ??= cleanupOnce());
	const cleanupOnce = async () => {
		for (const db of sets.flatMap(databasesOf)) {
			await db.server?.stop();
			await db.direct?.close().catch(() => {});
		}
		for (const snapshot of snapshots) snapshot.remove();
		if (!options.keepDatabases) {
			for (const name of allNames) {
				await admin.unsafe(`drop database if exists "${name}" with (force)`).catch(() => {});
			}
		} else {
			log(`\nkept databases ${allNames.join(', ')}`);
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

		const large = await createDataSet(
			admin,
			adminUrl,
			names.large,
			'large',
			largeShape,
			pool,
			baseline
		);
		sets.push(large);
		const small = await createDataSet(
			admin,
			adminUrl,
			names.small,
			'small',
			smallShape,
			pool,
			baseline
		);
		sets.push(small);

		const invariants: InvariantCheck[] = [];
		for (const set of sets) {
			const ids = await sampleThreads(set.current.url, set.current.dataset);
			for (const db of databasesOf(set)) {
				const { violations } = await invariantCheck(db, ids);
				const of = baseline ? ` (${db.side === 'current' ? 'working tree' : 'baseline'})` : '';
				invariants.push({
					when: `after building the ${set.label} set${of}`,
					threads: ids.length,
					violations
				});
				if (violations.length)
					throw new Error(
						`the ${set.label} data set${of} is inconsistent: ${violations.join('; ')}`
					);
			}
		}
		log('\ninvariants hold on the sampled threads of every data set');

		// Plans of the statements behind each endpoint, on the large set before any load.
		log('explaining the queries …');
		const ds = large.current.dataset;
		const largeDirect = large.current.direct!;
		// A busy thread with something unread, so that mark-read has work to do.
		const [unreadThread] = rowsOf<{ contract_id: string }>(
			await largeDirect.db.execute(sql`
				select t.contract_id from message_thread_participants p
				join message_threads t on t.id = p.thread_id
				where p.user_id = ${ds.busyProviderId} and p.unread_count > 0 limit 1`)
		);
		const plans: ExplainedOperation[] = await explainOperations(large.current.url, [
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
				name: `Search, a word in 10% of messages (${SEARCH_WORDS.common})`,
				run: (db) =>
					searchMessages(db, ds.busyProviderId, { q: SEARCH_WORDS.common, limit: SEARCH_LIMIT })
			},
			{
				name: `Search, a word and a prefix (${SEARCH_WORDS.prefix})`,
				run: (db) =>
					searchMessages(db, ds.busyProviderId, { q: SEARCH_WORDS.prefix, limit: SEARCH_LIMIT })
			},
			{
				name: `Search box, ${SEARCH_BOX_LIMIT} results (${SEARCH_WORDS.rare})`,
				run: (db) =>
					searchMessages(db, ds.busyProviderId, { q: SEARCH_WORDS.rare, limit: SEARCH_BOX_LIMIT })
			},
			{
				name: `Search box, ${SEARCH_BOX_LIMIT} results (${SEARCH_WORDS.everywhere})`,
				run: (db) =>
					searchMessages(db, ds.busyProviderId, {
						q: SEARCH_WORDS.everywhere,
						limit: SEARCH_BOX_LIMIT
					})
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

		for (const db of sets.flatMap(databasesOf)) {
			const version = versions[db.side]!;
			db.server = await startServer({
				root: version.root,
				entry: version.entry,
				databaseUrl: db.url,
				poolSize: options.pool,
				prepare: !options.unprepared
			});
			log(`${db.label} ${db.side} server on ${db.server.baseUrl}`);
		}

		const results: ScenarioResult[] = [];
		const baselineResults: ScenarioResult[] = [];
		/** Direct runs of write scenarios under --baseline: after every HTTP comparison. */
		const deferred: (() => Promise<void>)[] = [];
		const newResult = (scenario: Scenario, db: BenchDatabase): ScenarioResult => {
			const result: ScenarioResult = {
				key: scenario.key,
				name: scenario.name,
				dataset: db.label,
				http: [],
				direct: [],
				notes: []
			};
			(db.side === 'current' ? results : baselineResults).push(result);
			return result;
		};
		const prefix = (db: BenchDatabase) => (baseline ? `${db.label} ${db.side}` : db.label);

		const runScenario = async (scenario: Scenario, targets: DataSet[]) => {
			log(`\n${scenario.name}`);
			const entries = targets.map((set) => ({
				set,
				sides: databasesOf(set).map((db) => ({ db, result: newResult(scenario, db) }))
			}));
			// A run of a prepared scenario goes through this many threads (or messages) once each.
			const count = (db: BenchDatabase) =>
				Math.min(PREPARED_THREADS, db.dataset.busyContracts.length);
			const directDataset = (db: BenchDatabase): Dataset =>
				scenario.prepareDirect
					? { ...db.dataset, busyContracts: db.dataset.busyContracts.slice(0, count(db)) }
					: db.dataset;
			const deferDirect = !!baseline && !!scenario.writes;
			const verify = async (db: BenchDatabase, result: ScenarioResult) => {
				if (scenario.key !== 'mark-read') return;
				const ids = db.dataset.busyContracts.slice(0, count(db)).map((c) => c.contractId);
				const n = await threadsLeftUnread(db, ids);
				if (n > 0) result.notes.push(`a run left ${n} threads unread (not every request did work)`);
			};
			const runDirectOnce = async (db: BenchDatabase, result: ScenarioResult, run: number) => {
				if (!scenario.direct || !db.direct) return;
				const directDs = directDataset(db);
				if (scenario.prepareDirect) {
					await runDirect(scenario.prepareDirect(directDs, db.direct.db, count(db)), {
						connections: options.connections,
						duration: 0,
						amount: count(db)
					});
				}
				const prepared = !!scenario.prepareDirect;
				const stopCpu = measureCpu(db.server!.pid);
				const direct = await runDirect(
					scenario.direct(directDs, db.direct.db),
					prepared
						? {
								connections: Math.min(options.connections, count(db)),
								duration: options.duration,
								amount: count(db)
							}
						: limit
				);
				direct.cpu = stopCpu();
				result.direct.push(direct);
				await verify(db, result);
				log(
					`  run ${run} ${prefix(db)}: ${describe('direct', direct)}${direct.sampleError ? ` [${direct.sampleError}]` : ''}`
				);
			};

			for (const { sides } of entries) {
				for (const { db, result } of sides) {
					const missing = await probe(db, scenario);
					if (missing) {
						result.missing = missing;
						log(`  ${prefix(db)}: answers ${missing}, not measured`);
					}
				}
				if (scenario.prepare || options.warmup <= 0) continue;
				// Writes under --baseline: the second side makes as many requests as the first.
				let amount: number | undefined;
				for (const { db } of sides) {
					const w = await runHttp(
						db.server!.baseUrl,
						httpOf(scenario, db, []),
						amount ? { ...warm, amount } : warm
					);
					if (baseline && scenario.writes) amount ??= w.count + w.failed;
					if (scenario.direct && db.direct && !deferDirect)
						await runDirect(scenario.direct(db.dataset, db.direct.db), warm);
				}
			}

			// Runs alternate between the versions, the layers and the data sets, so that a slow
			// patch of the shared machine does not land on one side of a ratio only. The two
			// versions take turns going first (ABBA), which cancels a steady drift too.
			for (let run = 1; run <= options.runs; run++) {
				for (const { sides } of entries) {
					const order = run % 2 === 1 ? sides : [...sides].reverse();
					let amount: number | undefined;
					for (const { db, result } of order) {
						if (result.missing) continue;
						let runLimit = limit;
						let work: string[] = [];
						if (scenario.prepare) {
							work = await scenario.prepare(sideContext(db, options.connections), count(db));
							const n = work.length * (scenario.passes ?? 1);
							runLimit = { ...limit, connections: Math.min(options.connections, n), amount: n };
						} else if (amount) {
							runLimit = { ...limit, amount };
						}
						const stopCpu = measureCpu(db.server!.pid);
						const http = await runHttp(db.server!.baseUrl, httpOf(scenario, db, work), runLimit);
						http.cpu = stopCpu();
						result.http.push(http);
						if (baseline && scenario.writes && !scenario.prepare)
							amount ??= http.count + http.failed;
						await verify(db, result);
						log(`  run ${run} ${prefix(db)}: ${describeHttp(http)}`);
					}
					const current = sides.find((s) => s.db.side === 'current')!;
					if (!deferDirect) await runDirectOnce(current.db, current.result, run);
				}
			}
			if (deferDirect && scenario.direct) {
				deferred.push(async () => {
					log(`\n${scenario.name}: direct, working tree only`);
					for (let run = 1; run <= options.runs; run++) {
						for (const { sides } of entries) {
							const current = sides.find((s) => s.db.side === 'current')!;
							await runDirectOnce(current.db, current.result, run);
						}
					}
				});
			}
		};

		const chosen = (scenarios: Scenario[]) =>
			scenarios.filter((scenario) => !options.only || options.only.has(scenario.key));
		for (const scenario of chosen(readScenarios)) await runScenario(scenario, [small, large]);
		for (const scenario of chosen(searchScenarios)) await runScenario(scenario, [small, large]);

		// The runs above saturate the machine, so their latencies are mostly queueing (20
		// connections at N req/s wait about 20/N s each). The endpoints with a latency target are
		// measured again at a steady half of that throughput: the latency a request sees when the
		// server keeps up. Under --baseline both versions get the same rate, half the slower one's.
		for (const key of PACED_KEYS) {
			const scenario = [...readScenarios, ...searchScenarios].find((r) => r.key === key);
			// A version without the endpoint (or an endpoint the working tree lacks) is left out.
			const sides = databasesOf(large)
				.map((db) => ({
					db,
					result: (db.side === 'current' ? results : baselineResults).find(
						(r) => r.key === key && r.dataset === 'large'
					)
				}))
				.filter((s) => s.result?.http.length);
			if (!scenario || !sides.some((s) => s.db.side === 'current')) continue;
			const slowest = Math.min(...sides.map((s) => medianOfRuns(s.result!.http).perSecond));
			const rate = Math.max(1, Math.round(PACED_SHARE * slowest));
			log(`\n${scenario.name}, paced at ${rate} req/s`);
			for (const s of sides) s.result!.paced = { rate, runs: [] };
			for (let run = 1; run <= options.runs; run++) {
				for (const { db, result } of run % 2 === 1 ? sides : [...sides].reverse()) {
					const stopCpu = measureCpu(db.server!.pid);
					const http = await runPaced(db.server!.baseUrl, httpOf(scenario, db, []), {
						...limit,
						rate
					});
					http.cpu = stopCpu();
					result!.paced!.runs.push(http);
					log(`  run ${run} ${prefix(db)}: ${describe('HTTP', http)}`);
				}
			}
		}

		// Only the large set is measured from here on: the small set's servers and pool give their
		// connections back (Postgres is shared, and four servers' pools add up).
		for (const db of databasesOf(small)) {
			await db.server?.stop();
			db.server = undefined;
			await db.direct?.close();
			db.direct = undefined;
		}

		for (const scenario of chosen(sendScenarios)) await runScenario(scenario, [large]);
		for (const scenario of chosen([markReadScenario])) await runScenario(scenario, [large]);
		for (const result of [...results, ...baselineResults].filter((r) => r.key === 'mark-read')) {
			result.notes.unshift(
				`each run: ${Math.min(PREPARED_THREADS, ds.busyContracts.length)} threads, each with one new message from the counterpart, marked read once`
			);
		}
		// New endpoints last: a version without them skips their writes.
		for (const scenario of chosen(editScenarios)) await runScenario(scenario, [large]);
		for (const task of deferred) await task();

		for (const db of sets.flatMap(databasesOf)) await db.server?.stop();

		const ids = await sampleThreads(large.current.url, large.current.dataset);
		let violations: string[] = [];
		for (const db of databasesOf(large)) {
			const check = await invariantCheck(db, ids);
			const of = baseline ? ` (${db.side === 'current' ? 'working tree' : 'baseline'})` : '';
			invariants.push({
				when: `on the large set after all the writes${of}`,
				threads: ids.length,
				violations: check.violations
			});
			violations = [...violations, ...check.violations.map((v) => `${v}${of}`)];
		}
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
			datasets: { small: small.current.dataset, large: large.current.dataset },
			results,
			baseline: baseline
				? {
						ref: baseline.ref,
						sha: baseline.sha,
						results: baselineResults,
						migrationsAdded: migrationJournal(ROOT).filter(
							(tag) => !migrationJournal(baseline.root).includes(tag)
						),
						migrationsChanged: changedInPlace
					}
				: undefined,
			invariants,
			plans,
			totalSeconds: (performance.now() - started) / 1000
		});
		const dir = path.join(ROOT, 'bench', 'results');
		mkdirSync(dir, { recursive: true });
		// A comparison is its own file, so that it does not replace the last plain run's figures.
		const stem = baseline ? 'baseline' : 'latest';
		await writeFormatted(path.join(dir, `${stem}.md`), report);
		// The plans are the working tree's alone: a comparison leaves the last plain run's.
		if (!baseline) {
			await writeFormatted(
				path.join(dir, 'plans.md'),
				plansMarkdown(
					`Query plans at ${large.current.dataset.shape.messages.toLocaleString('en')} messages`,
					plans
				)
			);
		}
		await writeFormatted(
			path.join(dir, `${stem}.json`),
			JSON.stringify({
				environment,
				baseline: baseline ? { ref: baseline.ref, sha: baseline.sha } : undefined,
				datasets: {
					small: small.current.dataset,
					large: { ...large.current.dataset, busyContracts: undefined }
				},
				results,
				baselineResults: baseline ? baselineResults : undefined,
				invariants
			})
		);
		console.log(`\n${report}`);
		log(`written to bench/results/${stem}.md and ${stem}.json${baseline ? '' : ' and plans.md'}`);
		if (violations.length)
			throw new Error(`invariants broken after the writes: ${violations.join('; ')}`);
	} finally {
		await cleanup();
	}
	return options;
}

main()
	.then((options) => {
		if (options?.live) {
			const live = runLive(options);
			process.exit(runUploads() || live);
		}
	})
	.catch((error) => {
		console.error(error instanceof Error ? (error.stack ?? error.message) : error);
		process.exit(1);
	});
