import { ServerResponse } from 'node:http';

/** Strict-Transport-Security for an https ORIGIN (a year, subdomains included); none for http. */
export function hstsHeader(origin: string): string | null {
	return origin.startsWith('https://') ? 'max-age=31536000; includeSubDomains' : null;
}

/**
 * Responses that must not be kept by the browser or a proxy: every API answer, and every page
 * shown to a signed-in user (the back button after logout, a shared computer).
 */
export function isPrivateResponse(pathname: string, signedIn: boolean): boolean {
	return signedIn || pathname === '/api' || pathname.startsWith('/api/');
}

const INSTALLED = Symbol.for('parley.static-headers');

/**
 * adapter-node serves the built assets (/_app/...) and static/ with sirv before any hook runs, and
 * sirv takes no header option: the node server's responses get nosniff (and HSTS for an https
 * origin) as their headers are written, unless the response set its own.
 */
export function installServerResponseHeaders(origin: string): void {
	const proto = ServerResponse.prototype as ServerResponse & { [INSTALLED]?: true };
	if (proto[INSTALLED]) return;
	proto[INSTALLED] = true;
	const hsts = hstsHeader(origin);
	const writeHead = proto.writeHead;
	proto.writeHead = function (this: ServerResponse, ...args: unknown[]) {
		if (!this.headersSent) {
			if (!this.hasHeader('x-content-type-options')) {
				this.setHeader('X-Content-Type-Options', 'nosniff');
			}
			if (hsts && !this.hasHeader('strict-transport-security')) {
				this.setHeader('Strict-Transport-Security', hsts);
			}
		}
		return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
	} as typeof proto.writeHead;
}

/**
 * The page CSP with `origin` added to its img-src (S3_DOWNLOADS=redirect: thumbnails and photos
 * come from the bucket). A policy without img-src is returned as it is: adding one would change
 * what its default-src allows.
 */
export function allowImageOrigin(csp: string, origin: string): string {
	return csp
		.split(';')
		.map((directive) => {
			const [name, ...sources] = directive.trim().split(/\s+/);
			if (name?.toLowerCase() !== 'img-src' || sources.includes(origin)) return directive;
			// 'none' cannot stand next to a source.
			const kept = sources.filter((source) => source.toLowerCase() !== "'none'");
			return ` ${[name, ...kept, origin].join(' ')}`;
		})
		.join(';')
		.trim();
}
