// Authentication-Results (RFC 8601): what the receiving mail server found out about an email's
// SPF, DKIM and DMARC. Anyone can write such a header into the email they send, so only headers
// whose authserv-id is one of the configured receiving hosts (INBOUND_AUTHSERV_ID) are read, and
// among those a `fail` always wins over a `pass`: a forged header can then only make its own
// sender's mail refused, never let a failing one through (except under `pass`, which needs the
// receiving server to remove incoming headers that carry its id, as RFC 8601 section 5 asks).

/** `dmarc`: refuse a failing From domain; `pass`: also require DMARC to pass; `off`: read nothing. */
export type InboundAuthMode = 'dmarc' | 'pass' | 'off';

export interface InboundAuthSettings {
	mode: InboundAuthMode;
	/** The authserv-ids of the receiving mail servers, lower case. */
	authservIds: readonly string[];
}

interface ResultInfo {
	method: string;
	result: string;
	props: Record<string, string>;
}

function stripComments(value: string): string {
	let out = value;
	// Comments may nest: take the innermost first until none is left.
	for (let i = 0; i < 10 && /\([^()]*\)/.test(out); i++) out = out.replace(/\([^()]*\)/g, ' ');
	return out;
}

/** One header's authserv-id and results, or null when it cannot be read. */
export function parseAuthenticationResults(
	value: string
): { authservId: string; results: ResultInfo[] } | null {
	const parts = stripComments(value.replace(/\r?\n[ \t]+/g, ' ')).split(';');
	const authservId = /^\s*("?)([^\s";]+)\1/.exec(parts[0] ?? '')?.[2]?.toLowerCase();
	if (!authservId) return null;
	const results: ResultInfo[] = [];
	for (const part of parts.slice(1)) {
		const pairs = [...part.matchAll(/([a-z0-9_.-]+)(?:\/\d+)?\s*=\s*("[^"]*"|[^\s;]+)/gi)];
		const [first, ...rest] = pairs;
		if (!first) continue;
		const props: Record<string, string> = {};
		for (const [, key, raw] of rest) {
			props[key!.toLowerCase()] = raw!.replace(/^"|"$/g, '').toLowerCase();
		}
		results.push({
			method: first[1]!.toLowerCase(),
			result: first[2]!.replace(/^"|"$/g, '').toLowerCase(),
			props
		});
	}
	return { authservId, results };
}

function domainOf(value: string | undefined): string | null {
	if (!value) return null;
	const at = value.lastIndexOf('@');
	return (at >= 0 ? value.slice(at + 1) : value).replace(/[>\s]/g, '').toLowerCase() || null;
}

/**
 * Why the email must be refused, or null to accept it: a trusted header says DMARC failed for
 * the From domain, SPF failed for an envelope sender in that domain, or DKIM failed for a
 * signature of that domain with none of its signatures passing. Under `pass`, also when no
 * trusted header says DMARC passed for it.
 */
export function authenticationFailure(
	headers: readonly string[],
	from: string | null,
	settings: InboundAuthSettings
): string | null {
	if (settings.mode === 'off') return null;
	const fromDomain = domainOf(from ?? undefined);
	if (!fromDomain) return null;
	const trusted = headers
		.map(parseAuthenticationResults)
		.filter((h) => h !== null && settings.authservIds.includes(h.authservId))
		.flatMap((h) => h!.results);
	const forFrom = (domain: string | null | undefined) => !domain || domain === fromDomain;
	const dmarc = trusted.filter(
		(r) => r.method === 'dmarc' && forFrom(domainOf(r.props['header.from']))
	);
	if (dmarc.some((r) => r.result === 'fail')) return 'dmarc=fail';
	const spfFail = trusted.some(
		(r) =>
			r.method === 'spf' &&
			r.result === 'fail' &&
			domainOf(r.props['smtp.mailfrom'] ?? r.props['smtp.helo']) === fromDomain
	);
	if (spfFail) return 'spf=fail';
	const dkim = trusted.filter(
		(r) =>
			r.method === 'dkim' && domainOf(r.props['header.d'] ?? r.props['header.i']) === fromDomain
	);
	if (dkim.some((r) => r.result === 'fail') && !dkim.some((r) => r.result === 'pass')) {
		return 'dkim=fail';
	}
	if (settings.mode === 'pass' && !dmarc.some((r) => r.result === 'pass')) return 'no dmarc=pass';
	return null;
}
