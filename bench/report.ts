// The Markdown report: figures are medians over the runs; ratios are computed from the medians.

import { SEARCH_WORDS, type Dataset } from './dataset';
import { planTotals, type ExplainedOperation } from './explain';
import type { HttpRunSummary } from './load';
import type { CpuShare } from './cpu';
import { fmtMs, fmtRate, fmtRatio, median, medianOfRuns, type RunSummary } from './stats';

/** Under --baseline: the commit measured beside the working tree, or the working tree. */
export type Side = 'baseline' | 'current';

export interface ScenarioResult {
	key: string;
	name: string;
	dataset: 'small' | 'large';
	/** Set when this version answered the probe with 404 or 405: it has no such endpoint. */
	missing?: string;
	http: HttpRunSummary[];
	direct: (RunSummary & { sampleError?: string })[];
	/** E.g. how many threads a mark-read run left unread. */
	notes: string[];
	/** HTTP again at a fixed rate below saturation. */
	paced?: { rate: number; runs: HttpRunSummary[] };
}

export interface Environment {
	date: string;
	cpu: string;
	cores: number;
	memoryGb: number;
	node: string;
	postgres: string;
	sharedBuffers: string;
	loadBefore: number[];
	loadAfter: number[];
}

export interface InvariantCheck {
	when: string;
	threads: number;
	violations: string[];
}

export interface ReportInput {
	command: string;
	options: {
		duration: number;
		connections: number;
		runs: number;
		pool: number;
		warmup: number;
		prepare: boolean;
	};
	environment: Environment;
	datasets: { small: Dataset; large: Dataset };
	/** The working tree's. */
	results: ScenarioResult[];
	baseline?: {
		ref: string;
		sha: string;
		results: ScenarioResult[];
		/** Migrations of the working tree that the baseline lacks, applied to its copies. */
		migrationsAdded: string[];
		/** Migrations of the baseline whose file the working tree changed (not applied again). */
		migrationsChanged: string[];
	};
	invariants: InvariantCheck[];
	plans: ExplainedOperation[];
	totalSeconds: number;
}

export const TARGET_READ_P99_MS = 20;
export const TARGET_SENDS_PER_S = 500;
export const TARGET_GROWTH = 1.5;
/** Search (issue 15): p99 per row at the large size, and growth from the small one. */
export const TARGET_SEARCH_P99_MS: Record<string, number> = {
	'search-rare': 50,
	'search-phrase': 50,
	'search-common': 150
};
export const TARGET_SEARCH_GROWTH = 2;
/** Under --baseline, a row whose working-tree figure is below this share of the baseline's. */
export const SLOWER_THAN = 0.9;

const count = (n: number) => n.toLocaleString('en');
const yes = (ok: boolean) => (ok ? 'yes' : '**no**');

function notOkText(runs: HttpRunSummary[]): string {
	const total: Record<string, number> = {};
	for (const run of runs) {
		for (const [status, n] of Object.entries(run.notOk)) total[status] = (total[status] ?? 0) + n;
	}
	const parts = Object.entries(total).map(([status, n]) => `${n}× ${status}`);
	return parts.length ? parts.join(', ') : '0';
}

function datasetRow(label: string, ds: Dataset): string {
	const s = ds.shape;
	const seconds = ds.steps.reduce((sum, step) => sum + step.ms, 0) / 1000;
	return (
		`| ${label} | ${count(s.users)} | ${count(s.contracts)} | ${count(s.messages)} | ` +
		`${count(ds.receipts)} | ${count(s.busyThreads)} | ${count(ds.busyUnreadThreads)} threads, ` +
		`${count(ds.busyUnreadMessages)} messages | ${count(ds.hotThreadMessages)} | ${seconds.toFixed(0)} s |`
	);
}

/**
 * A ratio from runs that took turns: run i of one version against run i of the other, the
 * versions going first in turn (ABBA). Whichever goes second can inherit the first one's
 * background work (autovacuum, writeback after writes), so the two runs of each turn pair are
 * combined by their geometric mean, which cancels that; then the median over the pairs, which
 * keeps one burst from a neighbour on the machine from moving the figure. An odd last run
 * counts alone.
 */
function pairedRatio(
	base: RunSummary[],
	cur: RunSummary[],
	ratio: (b: RunSummary, c: RunSummary) => number
): number {
	const perRun = base.slice(0, cur.length).map((b, i) => ratio(b, cur[i]!));
	const blocks: number[] = [];
	for (let i = 0; i < perRun.length; i += 2) {
		const pair = perRun.slice(i, i + 2).filter((r) => Number.isFinite(r) && r > 0);
		if (pair.length)
			blocks.push(Math.exp(pair.reduce((sum, r) => sum + Math.log(r), 0) / pair.length));
	}
	return median(blocks);
}

const flagged = (ratio: number) =>
	Number.isFinite(ratio) && ratio < SLOWER_THAN
		? `**below ${SLOWER_THAN.toFixed(2)}x**`
		: Number.isFinite(ratio)
			? 'ok'
			: 'n/a';

/** Cores that other processes took during the runs (median), the noise beside a ratio. */
const othersCores = (runs: RunSummary[]) => median(runs.map((r) => r.cpu?.other ?? Number.NaN));
const others = (runs: RunSummary[]) => {
	const cores = othersCores(runs);
	return Number.isNaN(cores) ? 'n/a' : cores.toFixed(1);
};
/** From this many cores taken by other processes on, a flagged ratio says to run again. */
const NOISY_OTHERS = 0.5;

function comparisonSection(input: ReportInput): string[] {
	const baseline = input.baseline!;
	const out: string[] = [];
	const short = baseline.sha.slice(0, 10);
	out.push(`## Against the baseline \`${baseline.ref}\` (${short})`, '');
	out.push(
		`Both versions ran their own production build on identical copies of each data set: built ` +
			`on the baseline's schema, copied with \`CREATE DATABASE … TEMPLATE\`, and the copy ` +
			`upgraded with the working tree's migrations` +
			(baseline.migrationsAdded.length
				? ` (${baseline.migrationsAdded.map((t) => `\`${t}\``).join(', ')})`
				: ' (none new)') +
			'. Each run measures one version, then the other (the two take turns going first), ' +
			'each on its own copy, with the same requests; write runs make the same number of ' +
			'requests on both. Ratios compare run i of one version with run i of the other; the ' +
			'two runs of each turn (one with the baseline first, one with the working tree first) ' +
			'are combined by their geometric mean, and the table gives the median over turns, all as ' +
			'"times as fast": req/s working tree ÷ baseline, and latency baseline ÷ working ' +
			`tree, so above 1 the working tree is faster and below ${SLOWER_THAN.toFixed(2)}x a row ` +
			'is flagged (on req/s, or on p50 for the paced rows). Latencies in ms, medians of ' +
			'the runs. "Others" is the cores that other processes on the machine took meanwhile ' +
			'(median of the runs): a ratio beside a large or uneven figure there is mostly noise.',
		''
	);
	if (baseline.migrationsChanged.length) {
		out.push(
			`**Migrations changed since the baseline:** ${baseline.migrationsChanged.map((t) => `\`${t}\``).join(', ')}. ` +
				'An upgraded database does not apply them again, so the working tree ran without ' +
				'those changes.',
			''
		);
	}
	out.push(
		'| Endpoint | Set | req/s baseline | req/s now | req/s ratio | p50 baseline | p50 now | p50 ratio | p99 baseline | p99 now | p99 ratio | non-2xx baseline / now | Others baseline / now | Verdict |',
		'| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |'
	);
	const below: string[] = [];
	const dash = '–';
	for (const cur of input.results) {
		const base = baseline.results.find((r) => r.key === cur.key && r.dataset === cur.dataset);
		const rows: { name: string; b?: HttpRunSummary[]; c: HttpRunSummary[]; paced: boolean }[] = [
			{ name: cur.name, b: base?.http, c: cur.http, paced: false }
		];
		if (cur.paced)
			rows.push({
				name: `${cur.name}, paced at ${fmtRate(cur.paced.rate)} req/s`,
				b: base?.paced?.runs,
				c: cur.paced.runs,
				paced: true
			});
		for (const row of rows) {
			const c = medianOfRuns(row.c);
			if (cur.missing) {
				out.push(
					`| ${row.name} | ${cur.dataset} | ${dash} | ${dash} | ${dash} | ${dash} | ${dash} | ${dash} | ${dash} | ${dash} | ${dash} | ${dash} | ${dash} | not in the working tree (${cur.missing}) |`
				);
				continue;
			}
			if (!base || base.missing || !row.b?.length) {
				out.push(
					`| ${row.name} | ${cur.dataset} | ${dash} | ${fmtRate(c.perSecond)} | new | ${dash} | ${fmtMs(c.p50)} | new | ${dash} | ${fmtMs(c.p99)} | new | ${dash} / ${notOkText(row.c)} | ${dash} / ${others(row.c)} | new${base?.missing ? ` (baseline: ${base.missing})` : ''} |`
				);
				continue;
			}
			const b = medianOfRuns(row.b);
			const rate = pairedRatio(row.b, row.c, (x, y) => y.perSecond / x.perSecond);
			const p50 = pairedRatio(row.b, row.c, (x, y) => x.p50 / y.p50);
			const p99 = pairedRatio(row.b, row.c, (x, y) => x.p99 / y.p99);
			let verdict = flagged(row.paced ? p50 : rate);
			if (verdict !== 'ok' && verdict !== 'n/a') {
				below.push(`${row.name} (${cur.dataset})`);
				const busiest = Math.max(othersCores(row.b), othersCores(row.c));
				if (busiest >= NOISY_OTHERS) verdict += ` (others took ${busiest.toFixed(1)} cores: rerun)`;
			}
			out.push(
				`| ${row.name} | ${cur.dataset} | ${fmtRate(b.perSecond)} | ${fmtRate(c.perSecond)} | ` +
					`${row.paced ? dash : fmtRatio(rate)} | ${fmtMs(b.p50)} | ${fmtMs(c.p50)} | ${fmtRatio(p50)} | ` +
					`${fmtMs(b.p99)} | ${fmtMs(c.p99)} | ${fmtRatio(p99)} | ` +
					`${notOkText(row.b)} / ${notOkText(row.c)} | ${others(row.b)} / ${others(row.c)} | ${verdict} |`
			);
		}
	}
	out.push(
		'',
		below.length
			? `**Below ${SLOWER_THAN.toFixed(2)}x of the baseline:** ${below.join('; ')}.`
			: `No row below ${SLOWER_THAN.toFixed(2)}x of the baseline.`,
		'',
		'The direct (in-process) figures further down are the working tree only: the bench ' +
			"calls the working tree's domain functions and cannot load the baseline's. Direct runs " +
			'of the write endpoints ran after every HTTP run of both versions, since their writes ' +
			"land on the working tree's copy only.",
		''
	);
	return out;
}

export function buildReport(input: ReportInput): string {
	const { datasets, environment: env, options } = input;
	// A row whose endpoint the working tree lacks is listed under the comparison only.
	const results = input.results.filter((r) => !r.missing);
	const find = (key: string, dataset: 'small' | 'large') =>
		results.find((r) => r.key === key && r.dataset === dataset);
	const large = results.filter((r) => r.dataset === 'large');
	const compared = results
		.filter((r) => r.dataset === 'small')
		.map((small) => ({ small, large: find(small.key, 'large') }))
		.filter((pair): pair is { small: ScenarioResult; large: ScenarioResult } => !!pair.large);
	const bigN = count(datasets.large.shape.messages);
	const smallN = count(datasets.small.shape.messages);
	const out: string[] = [];

	out.push('# Parley benchmark results', '');
	out.push(
		`${env.date}, \`${input.command}\`: ${options.runs} runs of ${options.duration} s per figure ` +
			`(mark-read: fixed-count runs), ${options.connections} concurrent connections, ` +
			`a pool of ${options.pool} database connections for the app and for the direct runs ` +
			`(prepared statements ${options.prepare ? 'on' : 'off'}), ` +
			`${options.warmup} s warm-up per endpoint; ${Math.round(input.totalSeconds / 60)} min in all.`,
		'',
		`Machine: ${env.cpu}, ${env.cores} cores, ${env.memoryGb} GB; Node ${env.node}; ` +
			`${env.postgres}, shared_buffers ${env.sharedBuffers}. Postgres, the app and the load ` +
			'generator share the cores. Load average (1/5/15 min) before ' +
			`${env.loadBefore.map((l) => l.toFixed(2)).join(' / ')}, after ` +
			`${env.loadAfter.map((l) => l.toFixed(2)).join(' / ')}.`,
		''
	);
	if (input.baseline) out.push(...comparisonSection(input));
	const notHere = input.results.filter((r) => r.missing);
	if (notHere.length && !input.baseline) {
		out.push(
			`Not measured: ${notHere.map((r) => `${r.name} (the working tree answers ${r.missing})`).join('; ')}.`,
			''
		);
	}

	out.push('## Data sets', '');
	out.push(
		'| Set | Users | Contracts (= threads) | Messages | Read receipts | Busy provider threads | Busy provider unread | Longest thread | Built in |',
		'| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
		datasetRow('large', datasets.large),
		datasetRow('small', datasets.small),
		''
	);
	const matches = [datasets.large, datasets.small].map((ds) => ds.searchMatches);
	if (matches[0] && matches[1]) {
		const words = Object.keys(matches[0]) as (keyof typeof SEARCH_WORDS)[];
		out.push(
			"The busy provider's messages that each search row matches: a page of results costs the " +
				'same at any size, a set where a word matches nothing answers an empty page.',
			'',
			`| Set | ${words.map((w) => (w === 'phrase' ? `"${SEARCH_WORDS[w]}"` : SEARCH_WORDS[w])).join(' | ')} |`,
			`| --- | ${words.map(() => '---:').join(' | ')} |`,
			...(['large', 'small'] as const).map(
				(label, i) => `| ${label} | ${words.map((w) => count(matches[i]![w])).join(' | ')} |`
			),
			''
		);
	}

	out.push(`## Endpoints at ${bigN} messages${input.baseline ? ', working tree' : ''}`, '');
	out.push(
		'HTTP: the production build driven by autocannon, as the busy provider. Direct: the domain ' +
			'function behind the endpoint, called in-process through Drizzle and postgres.js by as ' +
			'many concurrent workers. Both as fast as they go. Latencies in ms; medians of the runs.',
		''
	);
	out.push(
		'| Endpoint | HTTP req/s | HTTP p50 | HTTP p99 | Direct ops/s | Direct p50 | Direct p99 | p50 HTTP/direct | ops/s direct/HTTP | HTTP non-2xx |',
		'| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |'
	);
	for (const r of large) {
		const h = medianOfRuns(r.http);
		const d = medianOfRuns(r.direct);
		out.push(
			`| ${r.name} | ${fmtRate(h.perSecond)} | ${fmtMs(h.p50)} | ${fmtMs(h.p99)} | ` +
				`${fmtRate(d.perSecond)} | ${fmtMs(d.p50)} | ${fmtMs(d.p99)} | ${fmtRatio(h.p50 / d.p50)} | ` +
				`${fmtRatio(d.perSecond / h.perSecond)} | ${notOkText(r.http)} |`
		);
	}
	out.push('');

	const bearerPairs = (['large', 'small'] as const)
		.map((set) => ({ set, cookie: find('unread', set), bearer: find('unread-bearer', set) }))
		.filter((p) => p.cookie?.http.length && p.bearer?.http.length);
	if (bearerPairs.length) {
		out.push('## API token beside the session cookie', '');
		out.push(
			'The unread count over HTTP as the busy provider, with `Authorization: Bearer` (the token ' +
				'is looked up by its SHA-256 and `last_used_at` written at most once a minute) and with ' +
				'the session cookie (resolved in hooks.server.ts). The two rows run one after the other. ' +
				'Ratios: token / cookie for req/s, cookie / token for latencies (below 1: the token is slower).',
			'',
			'| Set | Cookie req/s | Token req/s | req/s ratio | Cookie p50 | Token p50 | p50 ratio | Cookie p99 | Token p99 | p99 ratio |',
			'| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'
		);
		for (const { set, cookie, bearer } of bearerPairs) {
			const c = medianOfRuns(cookie!.http);
			const b = medianOfRuns(bearer!.http);
			out.push(
				`| ${set} | ${fmtRate(c.perSecond)} | ${fmtRate(b.perSecond)} | ${fmtRatio(b.perSecond / c.perSecond)} | ` +
					`${fmtMs(c.p50)} | ${fmtMs(b.p50)} | ${fmtRatio(c.p50 / b.p50)} | ` +
					`${fmtMs(c.p99)} | ${fmtMs(b.p99)} | ${fmtRatio(c.p99 / b.p99)} |`
			);
		}
		out.push('');
	}

	if (large.some((r) => r.http[0]?.cpu && !Number.isNaN(r.http[0].cpu.machine))) {
		// CPU time per operation = cores in use / operations per second.
		const perOp = (runs: RunSummary[], who: keyof CpuShare) =>
			fmtMs(median(runs.map((r) => (r.cpu ? (r.cpu[who] * 1000) / r.perSecond : Number.NaN))));
		const cores = (runs: RunSummary[], who: keyof CpuShare) =>
			median(runs.map((r) => r.cpu?.[who] ?? Number.NaN)).toFixed(2);
		out.push(
			'CPU time per operation in ms (from /proc; medians of the runs): the app server and ' +
				'Postgres for HTTP, this Node process (Drizzle, postgres.js) and Postgres for direct. ' +
				'"Busy" is the cores in use over the HTTP runs (2 = saturated), "others" what other ' +
				'processes on the machine took meanwhile.',
			'',
			'| Endpoint | HTTP: app | HTTP: Postgres | HTTP: load generator | Direct: Node | Direct: Postgres | Busy | Others |',
			'| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'
		);
		for (const r of large) {
			out.push(
				`| ${r.name} | ${perOp(r.http, 'server')} | ${perOp(r.http, 'postgres')} | ` +
					`${perOp(r.http, 'self')} | ${perOp(r.direct, 'self')} | ${perOp(r.direct, 'postgres')} | ` +
					`${cores(r.http, 'machine')} | ${cores(r.http, 'other')} |`
			);
		}
		out.push('');
	}

	const paced = large.filter((r) => r.paced);
	if (paced.length) {
		out.push(`## Latency below saturation, at ${bigN} messages`, '');
		out.push(
			'The same HTTP requests sent at a steady rate, half the throughput measured above, ' +
				'open loop (latency counts from when each request was due).',
			'',
			'| Endpoint | Rate asked | req/s | p50 | p99 | non-2xx |',
			'| --- | ---: | ---: | ---: | ---: | --- |'
		);
		for (const r of paced) {
			const m = medianOfRuns(r.paced!.runs);
			out.push(
				`| ${r.name} | ${fmtRate(r.paced!.rate)} | ${fmtRate(m.perSecond)} | ${fmtMs(m.p50)} | ` +
					`${fmtMs(m.p99)} | ${notOkText(r.paced!.runs)} |`
			);
		}
		out.push('');
	}

	out.push(`## Read endpoints at ${smallN} and at ${bigN} messages`, '');
	out.push(
		'| Endpoint | Layer | p50 small | p50 large | p50 large/small | p99 small | p99 large | p99 large/small | req/s small | req/s large |',
		'| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'
	);
	for (const pair of compared) {
		for (const layer of ['http', 'direct'] as const) {
			const s = medianOfRuns(pair.small[layer]);
			const l = medianOfRuns(pair.large[layer]);
			out.push(
				`| ${pair.small.name} | ${layer === 'http' ? 'HTTP' : 'direct'} | ${fmtMs(s.p50)} | ` +
					`${fmtMs(l.p50)} | ${fmtRatio(l.p50 / s.p50)} | ${fmtMs(s.p99)} | ${fmtMs(l.p99)} | ` +
					`${fmtRatio(l.p99 / s.p99)} | ${fmtRate(s.perSecond)} | ${fmtRate(l.perSecond)} |`
			);
		}
	}
	out.push('');

	out.push('## Targets', '');
	out.push('| Target | Measured (HTTP, medians) | Met |', '| --- | --- | --- |');
	for (const key of ['unread', 'inbox']) {
		const r = find(key, 'large');
		if (!r) continue;
		const p99 = medianOfRuns(r.http).p99;
		out.push(
			`| ${r.name}: p99 < ${TARGET_READ_P99_MS} ms at ${bigN} messages, saturated (${options.connections} connections) | ${fmtMs(p99)} ms | ${yes(p99 < TARGET_READ_P99_MS)} |`
		);
		if (r.paced) {
			const p = medianOfRuns(r.paced.runs).p99;
			out.push(
				`| ${r.name}: p99 < ${TARGET_READ_P99_MS} ms at ${bigN} messages, at ${fmtRate(r.paced.rate)} req/s | ${fmtMs(p)} ms | ${yes(p < TARGET_READ_P99_MS)} |`
			);
		}
	}
	for (const key of ['send-spread', 'send-hot', 'send-masked']) {
		const r = find(key, 'large');
		if (!r) continue;
		const rate = medianOfRuns(r.http).perSecond;
		out.push(
			`| ${r.name}: ≥ ${TARGET_SENDS_PER_S} sends/s | ${fmtRate(rate)}/s | ${yes(rate >= TARGET_SENDS_PER_S)} |`
		);
	}
	for (const [key, limit] of Object.entries(TARGET_SEARCH_P99_MS)) {
		const r = find(key, 'large');
		if (!r) continue;
		const p99 = medianOfRuns(r.http).p99;
		out.push(
			`| ${r.name}: p99 < ${limit} ms at ${bigN} messages, saturated (${options.connections} connections) | ${fmtMs(p99)} ms | ${yes(p99 < limit)} |`
		);
		if (r.paced) {
			const p = medianOfRuns(r.paced.runs).p99;
			out.push(
				`| ${r.name}: p99 < ${limit} ms at ${bigN} messages, at ${fmtRate(r.paced.rate)} req/s | ${fmtMs(p)} ms | ${yes(p < limit)} |`
			);
		}
	}
	for (const pair of compared) {
		const s = medianOfRuns(pair.small.http);
		const l = medianOfRuns(pair.large.http);
		const p50 = l.p50 / s.p50;
		const p99 = l.p99 / s.p99;
		const growth = pair.small.key.startsWith('search-') ? TARGET_SEARCH_GROWTH : TARGET_GROWTH;
		out.push(
			`| ${pair.small.name}: at ${bigN} within ${growth}x of ${smallN} | p50 ${fmtRatio(p50)}, p99 ${fmtRatio(p99)} | ` +
				`p50 ${yes(p50 <= growth)}, p99 ${yes(p99 <= growth)} |`
		);
	}
	out.push('');

	if (input.plans.length) {
		out.push(`## Postgres' share, from EXPLAIN ANALYZE at ${bigN} messages`, '');
		out.push(
			'Statements per operation and the time Postgres spends planning (custom plans, paid at ' +
				'every call when statements are not prepared) and executing them, summed over one ' +
				'execution with warm caches; and which statements have a generic plan (the one a ' +
				'prepared statement may switch to) of another shape, and which ones a prepared statement ' +
				'still planned again at every call after its first executions (it never took the ' +
				'generic plan, so every call pays the planning time). ' +
				(input.baseline
					? "The working tree's, on its copy; a comparison does not write plans.md."
					: 'The plans are in bench/results/plans.md.'),
			'',
			'| Operation | Statements | Planning (ms) | Execution (ms) | Generic plan differs | Planned at every call |',
			'| --- | ---: | ---: | ---: | --- | --- |'
		);
		const numbers = (list: number[]) => list.map((n) => `#${n}`).join(', ') || 'no';
		for (const op of input.plans) {
			const t = planTotals(op);
			out.push(
				`| ${op.name} | ${t.statements} | ${t.planningMs.toFixed(2)} | ${t.executionMs.toFixed(2)} | ${numbers(t.genericDiffers)} | ${numbers(t.plannedEveryCall)} |`
			);
		}
		out.push('');
	}

	out.push('## Checks', '');
	for (const check of input.invariants) {
		out.push(
			`- Invariants ${check.when} (${count(check.threads)} threads): ` +
				(check.violations.length ? `**${check.violations.join('; ')}**` : 'all hold')
		);
	}
	const scans = input.plans.flatMap((op) =>
		op.statements.flatMap((st) => st.scans.map((scan) => `${op.name}: ${scan}`))
	);
	out.push(
		`- Sequential scans of growing tables, and parallel scans, in those plans: ${scans.length ? scans.join('; ') : 'none'}`
	);
	const replanned = input.plans.flatMap((op) =>
		op.statements.flatMap((st, i) =>
			st.plannedEveryCall ? [`${op.name} #${i + 1} (planning ${st.planningMs ?? '–'} ms)`] : []
		)
	);
	out.push(
		`- Statements planned again at every call when prepared: ${replanned.length ? replanned.join('; ') : 'none'}`,
		''
	);

	out.push('## Every run', '');
	out.push('req/s · p50 · p99 of each run, in the order they ran.', '');
	const fmt = (x: RunSummary) => `${fmtRate(x.perSecond)} · ${fmtMs(x.p50)} · ${fmtMs(x.p99)}`;
	const baselineRuns = input.baseline?.results ?? [];
	const everyRun = input.baseline
		? results.flatMap((r) => {
				const base = baselineRuns.find((b) => b.key === r.key && b.dataset === r.dataset);
				return [
					...(base && !base.missing ? [{ ...base, name: `${base.name}, baseline` }] : []),
					{ ...r, name: `${r.name}, working tree` }
				];
			})
		: results;
	for (const r of everyRun) {
		out.push(
			`- ${r.name} (${r.dataset}): HTTP ${r.http.map(fmt).join(' | ')}` +
				(r.direct.length ? `; direct ${r.direct.map(fmt).join(' | ')}` : '') +
				(r.paced ? `; paced HTTP ${r.paced.runs.map(fmt).join(' | ')}` : '')
		);
		for (const note of r.notes) out.push(`  - ${note}`);
		const firstError = [...r.http, ...r.direct, ...(r.paced?.runs ?? [])].find(
			(x) => x.sampleError
		)?.sampleError;
		if (firstError) out.push(`  - first error: \`${firstError}\``);
	}
	out.push('');

	out.push('## Building the data sets', '');
	for (const [label, ds] of [
		['large', datasets.large],
		['small', datasets.small]
	] as const) {
		out.push(
			`- ${label}: ${ds.steps.map((s) => `${s.step} ${(s.ms / 1000).toFixed(1)} s`).join('; ')}`
		);
	}
	out.push('');
	return out.join('\n');
}
