// SvelteKit's own CSRF rule (no cross-site form posts), with the exceptions this app needs. It is
// off in svelte.config.js (trustedOrigins: ['*']) and applied here instead.

const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];
const UNSAFE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Whether to refuse a request as a cross-site form post. Not refused:
 * - the one-click unsubscribe URL and the mail servers' hooks for replies (their own secrets; an
 *   MTA may post the email as text/plain; mailbox providers send no matching Origin);
 * - a request that carries an Authorization header (an API token): a cross-site form cannot set
 *   one, so it is an API client's own request, such as an upload with curl or an agent.
 */
export function isForbiddenCrossSiteForm(request: Request, url: URL): boolean {
	if (!UNSAFE_METHODS.includes(request.method)) return false;
	const type = request.headers.get('content-type')?.split(';', 1)[0]?.trim().toLowerCase() ?? '';
	if (!FORM_TYPES.includes(type)) return false;
	if (url.pathname.startsWith('/unsubscribe/') || url.pathname.startsWith('/api/inbound/')) {
		return false;
	}
	if (request.headers.has('authorization')) return false;
	return request.headers.get('origin') !== url.origin;
}
