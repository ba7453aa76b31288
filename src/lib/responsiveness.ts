import type { ResponseMetrics } from './schemas/messaging';

/** Below this many threads in the window a rate says more about chance than about the provider. */
export const MIN_THREADS_FOR_METRICS = 3;

/** "Usually responds within 2 hours, 95% response rate", or null when there is too little data. */
export function describeResponsiveness(metrics: ResponseMetrics | null | undefined): string | null {
	if (!metrics || metrics.totalThreads < MIN_THREADS_FOR_METRICS) return null;
	const rate = `${Math.round(metrics.responseRatePct)}% response rate`;
	const median = metrics.medianResponseTimeHours;
	if (median === null) return rate;
	return `Usually responds ${within(median)}, ${rate}`;
}

function within(hours: number): string {
	if (hours <= 1) return 'within an hour';
	if (hours < 24) return `within ${Math.ceil(hours)} hours`;
	const days = Math.ceil(hours / 24);
	return days === 1 ? 'within a day' : `within ${days} days`;
}
