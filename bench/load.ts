// The two load generators: autocannon over HTTP, and a loop of concurrent workers calling the
// domain functions in-process. Both run either for a duration or for a fixed number of
// operations, with the same concurrency, and record every latency the same way (see stats.ts).

import http from 'node:http';
import autocannon from 'autocannon';
import { Samples, type RunSummary } from './stats';

export interface RunLimit {
	connections: number;
	/** Seconds; used when `amount` is not set. */
	duration: number;
	/** Stop after this many operations (each one doing real work) instead of after `duration`. */
	amount?: number;
}

export interface HttpRunSummary extends RunSummary {
	/** Responses that were not 2xx, errors and timeouts, by status ("error" for the latter two). */
	notOk: Record<string, number>;
	/** The body of one non-2xx response, to say what went wrong. */
	sampleError?: string;
}

export interface HttpScenario {
	method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
	/** Called for every request: rotating paths spread the load over several threads. */
	path: () => string;
	/** The session cookie; empty for a request that authenticates otherwise (`headers`). */
	cookie: string;
	/** More request headers, e.g. `authorization` for an API token. */
	headers?: Record<string, string>;
	/** JSON; a function is called for every request (e.g. an edit that changes the text). */
	body?: string | (() => string);
}

const bodyOf = (scenario: HttpScenario) =>
	typeof scenario.body === 'function' ? scenario.body() : scenario.body;

/** The headers every request of a scenario carries. */
export function requestHeaders(scenario: HttpScenario): Record<string, string> {
	const headers: Record<string, string> = { accept: 'application/json', ...scenario.headers };
	if (scenario.cookie) headers.cookie = scenario.cookie;
	if (scenario.body !== undefined) headers['content-type'] = 'application/json';
	return headers;
}

export async function runHttp(
	baseUrl: string,
	scenario: HttpScenario,
	limit: RunLimit
): Promise<HttpRunSummary> {
	const headers = requestHeaders(scenario);
	let sampleError: string | undefined;
	const samples = new Samples(performance.now());
	const instance = autocannon({
		url: baseUrl,
		connections: limit.connections,
		...(limit.amount ? { amount: limit.amount } : { duration: limit.duration }),
		timeout: 30,
		requests: [
			{
				method: scenario.method,
				headers,
				body: typeof scenario.body === 'string' ? scenario.body : undefined,
				setupRequest: (request) => ({
					...request,
					path: scenario.path(),
					...(typeof scenario.body === 'function' ? { body: scenario.body() } : {})
				}),
				onResponse: (status, body) => {
					if ((status < 200 || status > 299) && sampleError === undefined) {
						sampleError = `${status} ${body.slice(0, 300)}`;
					}
				}
			}
		]
	});
	instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
		if (status >= 200 && status <= 299) samples.record(ms, performance.now());
		else samples.fail();
	});
	const result = await instance;

	const notOk: Record<string, number> = {};
	for (const [status, { count }] of Object.entries(result.statusCodeStats)) {
		if (!status.startsWith('2')) notOk[status] = count;
	}
	if (result.errors + result.timeouts > 0) notOk.error = result.errors + result.timeouts;
	const summary = samples.summary();
	return {
		...summary,
		failed: summary.failed + result.errors + result.timeouts,
		notOk,
		sampleError
	};
}

/**
 * Open-loop load at a steady rate: a request every 1/rate s whatever the answers do, over at
 * most `connections` keep-alive sockets (later requests wait for a free one). Latency runs from
 * when a request was due, so time spent waiting behind a slow answer counts as it would for a
 * user. (autocannon's own rate limit sends each second's quota in one burst, which measures the
 * burst, not the steady state.)
 */
export async function runPaced(
	baseUrl: string,
	scenario: HttpScenario,
	limit: RunLimit & { rate: number }
): Promise<HttpRunSummary> {
	const agent = new http.Agent({ keepAlive: true, maxSockets: limit.connections });
	const url = new URL(baseUrl);
	const headers = requestHeaders(scenario);
	const started = performance.now();
	const samples = new Samples(started);
	const notOk: Record<string, number> = {};
	let sampleError: string | undefined;
	const inFlight = new Set<Promise<void>>();

	const send = (dueAt: number) =>
		new Promise<void>((resolve) => {
			// The timer may fire up to 1 ms before the due time: count from whichever came first,
			// so that an early start never shortens a latency.
			const startedAt = Math.min(dueAt, performance.now());
			const request = http.request(
				{
					host: url.hostname,
					port: url.port,
					method: scenario.method,
					path: scenario.path(),
					headers,
					agent
				},
				(response) => {
					const chunks: Buffer[] = [];
					response.on('data', (chunk: Buffer) => chunks.push(chunk));
					response.on('end', () => {
						const endedAt = performance.now();
						const status = response.statusCode ?? 0;
						if (status >= 200 && status <= 299) {
							samples.record(endedAt - startedAt, endedAt);
						} else {
							samples.fail();
							notOk[status] = (notOk[status] ?? 0) + 1;
							sampleError ??= `${status} ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`;
						}
						resolve();
					});
				}
			);
			request.on('error', (error) => {
				samples.fail();
				notOk.error = (notOk.error ?? 0) + 1;
				sampleError ??= String(error);
				resolve();
			});
			request.end(bodyOf(scenario));
		});

	const interval = 1000 / limit.rate;
	const total = Math.round(limit.duration * limit.rate);
	for (let i = 0; i < total; i++) {
		const dueAt = started + i * interval;
		const wait = dueAt - performance.now();
		if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
		const pending = send(dueAt);
		inFlight.add(pending);
		void pending.then(() => inFlight.delete(pending));
	}
	await Promise.all(inFlight);
	agent.destroy();
	return { ...samples.summary(), notOk, sampleError };
}

/**
 * `connections` workers each call `op` in a loop, on a shared pool (the app's size). `op` gets
 * the running number of the operation, for rotating over threads like the HTTP paths do.
 */
export async function runDirect(
	op: (n: number) => Promise<unknown>,
	limit: RunLimit
): Promise<RunSummary & { sampleError?: string }> {
	const started = performance.now();
	const samples = new Samples(started);
	const deadline = started + limit.duration * 1000;
	let next = 0;
	let sampleError: string | undefined;
	const worker = async () => {
		for (;;) {
			if (limit.amount ? next >= limit.amount : performance.now() >= deadline) return;
			const n = next++;
			const t0 = performance.now();
			try {
				await op(n);
				const t1 = performance.now();
				samples.record(t1 - t0, t1);
			} catch (error) {
				samples.fail();
				sampleError ??= String(error);
			}
		}
	};
	await Promise.all(Array.from({ length: limit.connections }, worker));
	return { ...samples.summary(), sampleError };
}

export interface PlainRequest {
	method: HttpScenario['method'];
	path: string;
	cookie: string;
	body?: string;
}

/**
 * Untimed set-up over HTTP (e.g. the messages a delete run will delete), `concurrency` at a
 * time: each 2xx answer's JSON (null for 204), in the order of `requests`. Throws on anything
 * else, since a run on half-prepared data would measure the wrong thing.
 */
export async function requestAll(
	baseUrl: string,
	requests: PlainRequest[],
	concurrency: number
): Promise<unknown[]> {
	const answers: unknown[] = new Array(requests.length);
	let next = 0;
	const worker = async () => {
		while (next < requests.length) {
			const i = next++;
			const r = requests[i]!;
			const response = await fetch(`${baseUrl}${r.path}`, {
				method: r.method,
				headers: {
					cookie: r.cookie,
					accept: 'application/json',
					...(r.body !== undefined ? { 'content-type': 'application/json' } : {})
				},
				body: r.body
			});
			const text = await response.text();
			if (!response.ok)
				throw new Error(`${r.method} ${r.path}: ${response.status} ${text.slice(0, 300)}`);
			answers[i] = text ? JSON.parse(text) : null;
		}
	};
	await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, worker));
	return answers;
}
