import { createServer, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createStorage } from './attachments/storage';
import { loadConfig } from './config';
import {
	allowImageOrigin,
	hstsHeader,
	installServerResponseHeaders,
	isPrivateResponse
} from './security-headers';

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

describe('the page CSP with S3_DOWNLOADS=redirect', () => {
	// As the production build sends kit.csp from svelte.config.js (copied from a response).
	const PAGE_CSP =
		"default-src 'self'; connect-src 'self'; font-src 'self'; img-src 'self' data: blob:; object-src 'none'; script-src 'self' 'nonce-OKh5AUkzUQyLZKXC301evQ=='; style-src 'self' 'unsafe-inline'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

	it('adds the bucket origin to img-src and nowhere else', () => {
		expect(allowImageOrigin(PAGE_CSP, 'https://files.example.net')).toBe(
			PAGE_CSP.replace(
				"img-src 'self' data: blob:;",
				"img-src 'self' data: blob: https://files.example.net;"
			)
		);
		// Once only; 'none' gives way; a policy without img-src keeps falling back to default-src.
		const once = allowImageOrigin(PAGE_CSP, 'https://files.example.net');
		expect(allowImageOrigin(once, 'https://files.example.net')).toBe(once);
		expect(allowImageOrigin("img-src 'none'", 'http://127.0.0.1:9000')).toBe(
			'img-src http://127.0.0.1:9000'
		);
		expect(allowImageOrigin("default-src 'none'; sandbox", 'https://x.example')).toBe(
			"default-src 'none'; sandbox"
		);
	});

	function originOf(env: Record<string, string>): string | null {
		return createStorage(loadConfig(env).attachments.storage).downloadOrigin;
	}

	it('takes the origin from the S3 settings: path-style endpoint, virtual-hosted bucket, AWS', () => {
		const redirect = { S3_DOWNLOADS: 'redirect', S3_ACCESS_KEY_ID: 'k', S3_SECRET_ACCESS_KEY: 's' };
		expect(
			originOf({
				...redirect,
				S3_BUCKET: 'parley-files',
				S3_ENDPOINT: 'http://127.0.0.1:9000',
				S3_FORCE_PATH_STYLE: 'true'
			})
		).toBe('http://127.0.0.1:9000');
		expect(
			originOf({
				...redirect,
				S3_BUCKET: 'parley-files',
				S3_REGION: 'auto',
				S3_ENDPOINT: 'https://account.r2.cloudflarestorage.com'
			})
		).toBe('https://parley-files.account.r2.cloudflarestorage.com');
		expect(originOf({ ...redirect, S3_BUCKET: 'parley-files', S3_REGION: 'eu-west-1' })).toBe(
			'https://parley-files.s3.eu-west-1.amazonaws.com'
		);
		// A dotted name cannot be a virtual host under https: the SDK goes path-style.
		expect(
			originOf({ ...redirect, S3_BUCKET: 'files.parley.example', S3_REGION: 'eu-west-1' })
		).toBe('https://s3.eu-west-1.amazonaws.com');
		// Proxy mode and local disk: the pages' img-src stays 'self'.
		expect(originOf({ S3_BUCKET: 'parley-files', S3_REGION: 'eu-west-1' })).toBeNull();
		expect(originOf({})).toBeNull();
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
