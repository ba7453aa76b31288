// autocannon ships no types; this covers the part of its programmatic API that bench/ uses.
declare module 'autocannon' {
	import type { EventEmitter } from 'node:events';

	export interface AutocannonRequest {
		method?: string;
		path?: string;
		headers?: Record<string, string>;
		body?: string;
		/** Called before each request; returning a falsy value restarts the sequence. */
		setupRequest?: (
			request: AutocannonRequest,
			context: Record<string, unknown>
		) => AutocannonRequest | undefined;
		onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
	}

	export interface AutocannonOptions {
		url: string;
		connections?: number;
		/** Seconds; ignored when `amount` is set. */
		duration?: number;
		amount?: number;
		timeout?: number;
		method?: string;
		headers?: Record<string, string>;
		body?: string;
		requests?: AutocannonRequest[];
	}

	export interface AutocannonResult {
		duration: number;
		errors: number;
		timeouts: number;
		non2xx: number;
		'2xx': number;
		statusCodeStats: Record<string, { count: number }>;
		latency: { p50: number; p99: number; average: number };
		requests: { average: number; total: number; sent: number };
	}

	/** Emits 'response' (client, statusCode, bytes, responseTimeMs) for every response. */
	export interface AutocannonInstance extends EventEmitter, PromiseLike<AutocannonResult> {
		stop(): void;
	}

	export default function autocannon(options: AutocannonOptions): AutocannonInstance;
}
