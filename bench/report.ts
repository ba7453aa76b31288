// The Markdown report: figures are medians over the runs; ratios are computed from the medians.

import type { Dataset } from './dataset';
import { planTotals, type ExplainedOperation } from './explain';
import type { HttpRunSummary } from './load';
import type { CpuShare } from './cpu';
import { fmtMs, fmtRate, fmtRatio, median, medianOfRuns, type RunSummary } from './stats';

export interface ScenarioResult {
	key: string;
	name: string;
	dataset: 'small' | 'large';
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
	results: ScenarioResult[];
	invariants: InvariantCheck[];
	plans: ExplainedOperation[];
	totalSeconds: number;
}

export const TARGET_READ_P99_MS = 20;
export const TARGET_SENDS_PER_S = 500;
export const TARGET_GROWTH = 1.5;

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

export function buildReport(input: ReportInput): string {
	const { results, datasets, environment: env, options } = input;
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

	out.push('## Data sets', '');
	out.push(
		'| Set | Users | Contracts (= threads) | Messages | Read receipts | Busy provider threads | Busy provider unread | Longest thread | Built in |',
		'| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
		datasetRow('large', datasets.large),
		datasetRow('small', datasets.small),
		''
	);

	out.push(`## Endpoints at ${bigN} messages`, '');
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
	for (const key of ['send-spread', 'send-hot']) {
		const r = find(key, 'large');
		if (!r) continue;
		const rate = medianOfRuns(r.http).perSecond;
		out.push(
			`| ${r.name}: ≥ ${TARGET_SENDS_PER_S} sends/s | ${fmtRate(rate)}/s | ${yes(rate >= TARGET_SENDS_PER_S)} |`
		);
	}
	for (const pair of compared) {
		const s = medianOfRuns(pair.small.http);
		const l = medianOfRuns(pair.large.http);
		const p50 = l.p50 / s.p50;
		const p99 = l.p99 / s.p99;
		out.push(
			`| ${pair.small.name}: at ${bigN} within ${TARGET_GROWTH}x of ${smallN} | p50 ${fmtRatio(p50)}, p99 ${fmtRatio(p99)} | ` +
				`p50 ${yes(p50 <= TARGET_GROWTH)}, p99 ${yes(p99 <= TARGET_GROWTH)} |`
		);
	}
	out.push('');

	if (input.plans.length) {
		out.push(`## Postgres' share, from EXPLAIN ANALYZE at ${bigN} messages`, '');
		out.push(
			'Statements per operation and the time Postgres spends planning (custom plans, paid at ' +
				'every call when statements are not prepared) and executing them, summed over one ' +
				'execution with warm caches; and which statements have a generic plan (the one a ' +
				'prepared statement may switch to) of another shape. The plans are in ' +
				'bench/results/plans.md.',
			'',
			'| Operation | Statements | Planning (ms) | Execution (ms) | Generic plan differs |',
			'| --- | ---: | ---: | ---: | --- |'
		);
		for (const op of input.plans) {
			const t = planTotals(op);
			const differs = t.genericDiffers.map((n) => `#${n}`).join(', ') || 'no';
			out.push(
				`| ${op.name} | ${t.statements} | ${t.planningMs.toFixed(2)} | ${t.executionMs.toFixed(2)} | ${differs} |`
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
		`- Sequential scans of growing tables in those plans: ${scans.length ? scans.join('; ') : 'none'}`,
		''
	);

	out.push('## Every run', '');
	out.push('req/s · p50 · p99 of each run, in the order they ran.', '');
	const fmt = (x: RunSummary) => `${fmtRate(x.perSecond)} · ${fmtMs(x.p50)} · ${fmtMs(x.p99)}`;
	for (const r of results) {
		out.push(
			`- ${r.name} (${r.dataset}): HTTP ${r.http.map(fmt).join(' | ')}; direct ${r.direct.map(fmt).join(' | ')}` +
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
