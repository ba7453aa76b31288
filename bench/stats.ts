import type { CpuShare } from './cpu';

// Latency samples and their summaries. Both sides (HTTP and direct) keep every sample in
// milliseconds as a float and are summarised by the same code, so their percentiles compare.
// (autocannon's own histogram has 1 ms resolution, too coarse for sub-millisecond queries.)

export class Samples {
	private values: number[] = [];
	ok = 0;
	failed = 0;
	private firstAt = Number.NaN;
	private lastAt = Number.NaN;

	constructor(private readonly startedAt: number) {}

	/** One completed operation that took `ms` and ended at `endedAt` (performance.now()). */
	record(ms: number, endedAt: number): void {
		this.values.push(ms);
		this.ok++;
		if (Number.isNaN(this.firstAt)) this.firstAt = endedAt;
		this.lastAt = endedAt;
	}

	fail(): void {
		this.failed++;
	}

	summary(): RunSummary {
		const sorted = Float64Array.from(this.values).sort();
		// Throughput over the span from the start of the run to its last completion: a run that
		// stops on a count (not a clock) is then not padded by the load generator's idle tail.
		const seconds = (this.lastAt - this.startedAt) / 1000;
		return {
			count: this.ok,
			failed: this.failed,
			perSecond: seconds > 0 ? this.ok / seconds : 0,
			p50: percentile(sorted, 0.5),
			p99: percentile(sorted, 0.99),
			max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN
		};
	}
}

export interface RunSummary {
	/** Cores in use during the run, by whom (see cpu.ts); set by the caller. */
	cpu?: CpuShare;
	count: number;
	failed: number;
	perSecond: number;
	p50: number;
	p99: number;
	max: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: Float64Array, q: number): number {
	if (sorted.length === 0) return Number.NaN;
	const rank = Math.max(1, Math.ceil(q * sorted.length));
	return sorted[rank - 1]!;
}

export function median(values: number[]): number {
	const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
	if (sorted.length === 0) return Number.NaN;
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median of each figure over several runs (each figure on its own, as is usual). */
export function medianOfRuns(runs: RunSummary[]): RunSummary {
	return {
		count: median(runs.map((r) => r.count)),
		failed: runs.reduce((sum, r) => sum + r.failed, 0),
		perSecond: median(runs.map((r) => r.perSecond)),
		p50: median(runs.map((r) => r.p50)),
		p99: median(runs.map((r) => r.p99)),
		max: Math.max(...runs.map((r) => r.max))
	};
}

export const fmtMs = (ms: number) =>
	Number.isNaN(ms) ? 'n/a' : ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0);
export const fmtRate = (n: number) =>
	Number.isNaN(n) ? 'n/a' : Math.round(n).toLocaleString('en');
export const fmtRatio = (r: number) => (Number.isFinite(r) ? `${r.toFixed(2)}x` : 'n/a');
