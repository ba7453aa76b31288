import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
	method: string;
	path: string;
	headers: IncomingMessage['headers'];
	body: Record<string, unknown>;
}

export type Behaviour =
	| { kind: 'ok' }
	| { kind: 'status'; status: number; name?: string; retryAfter?: number }
	| { kind: 'hang' };

/**
 * A stand-in for Resend's HTTP API on 127.0.0.1: the real `resend` SDK talks to it. It records
 * every request and answers from a script of behaviours (then "ok"), like the real API would.
 */
export async function startFakeResend(port = 0) {
	const requests: RecordedRequest[] = [];
	const script: Behaviour[] = [];
	const hanging = new Set<() => void>();
	let counter = 0;
	const server: Server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const raw = Buffer.concat(chunks).toString('utf8');
			requests.push({
				method: req.method ?? '',
				path: req.url ?? '',
				headers: req.headers,
				body: raw ? JSON.parse(raw) : {}
			});
			const behaviour = script.shift() ?? { kind: 'ok' };
			if (behaviour.kind === 'hang') {
				const release = () => res.destroy();
				hanging.add(release);
				return;
			}
			if (behaviour.kind === 'status') {
				res.writeHead(behaviour.status, {
					'content-type': 'application/json',
					...(behaviour.retryAfter ? { 'retry-after': String(behaviour.retryAfter) } : {})
				});
				res.end(
					JSON.stringify({
						statusCode: behaviour.status,
						name:
							behaviour.name ??
							(behaviour.status === 429 ? 'rate_limit_exceeded' : 'application_error'),
						message: `scripted ${behaviour.status}`
					})
				);
				return;
			}
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ id: `email_${++counter}` }));
		});
	});
	await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
	const address = server.address() as AddressInfo;
	return {
		baseUrl: `http://127.0.0.1:${address.port}`,
		requests,
		script,
		async close() {
			for (const release of hanging) release();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		}
	};
}
