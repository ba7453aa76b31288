import { createServer, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { hstsHeader, installServerResponseHeaders, isPrivateResponse } from './security-headers';

describe('security headers', () => {
	it('sends HSTS only when ORIGIN is https', () => {
		expect(hstsHeader('https://parley.example')).toBe('max-age=31536000; includeSubDomains');
		expect(hstsHeader('http://localhost:5173')).toBeNull();
	});

	it('keeps API answers and signed-in pages out of caches', () => {
		expect(isPrivateResponse('/api/messages/inbox', false)).toBe(true);
		expect(isPrivateResponse('/dashboard', true)).toBe(true);
		expect(isPrivateResponse('/login', false)).toBe(false);
		expect(isPrivateResponse('/apiary', false)).toBe(false);
	});
});

describe('installServerResponseHeaders', () => {
	// A real node server: sirv calls writeHead(status, headers), and the others take
	// (status, statusMessage, headers) or write their headers implicitly.
	async function serve(handler: (res: ServerResponse) => void): Promise<Response> {
		const server = createServer((_req, res) => handler(res));
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const { port } = server.address() as AddressInfo;
		try {
			const response = await fetch(`http://127.0.0.1:${port}/`);
			await response.text();
			return response;
		} finally {
			server.closeAllConnections();
			await new Promise((resolve) => server.close(resolve));
		}
	}

	installServerResponseHeaders('https://parley.example');

	it('adds nosniff and HSTS to every signature of writeHead and keeps its return value', async () => {
		let returned: unknown;
		const withHeaders = await serve((res) => {
			returned = res.writeHead(200, { 'content-type': 'text/javascript' });
			res.end('x');
		});
		expect(withHeaders.headers.get('x-content-type-options')).toBe('nosniff');
		expect(withHeaders.headers.get('strict-transport-security')).toContain('max-age=');
		expect(withHeaders.headers.get('content-type')).toBe('text/javascript');

		const withMessage = await serve((res) => {
			res.writeHead(404, 'Nothing Here', { 'content-type': 'text/plain' }).end();
		});
		expect(withMessage.status).toBe(404);
		expect(withMessage.statusText).toBe('Nothing Here');
		expect(withMessage.headers.get('x-content-type-options')).toBe('nosniff');

		const implicit = await serve((res) => res.end('implicit'));
		expect(implicit.headers.get('x-content-type-options')).toBe('nosniff');
		const own = await serve((res) => {
			res.setHeader('x-content-type-options', 'custom');
			res.end();
		});
		expect(own.headers.get('x-content-type-options')).toBe('custom');
		expect(returned).toBeInstanceOf(ServerResponse);
	});

	it('leaves a second writeHead to node (its own error), the response already sent', async () => {
		let second: unknown;
		await serve((res) => {
			res.writeHead(200);
			res.write('sent');
			try {
				res.writeHead(500);
			} catch (err) {
				second = err;
			}
			res.end();
		});
		expect(second).toMatchObject({ code: 'ERR_HTTP_HEADERS_SENT' });
	});
});
