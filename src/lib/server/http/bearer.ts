import type { ApiScope } from '$lib/schemas/api-tokens';
import { resolveApiToken, type ApiTokenPrincipal } from '../api-tokens';
import type { SessionUser } from '../auth';
import type { Db } from '../db';
import { ApiError, requireApiUser } from './api';

// Who is calling a JSON endpoint: the session cookie (resolved by hooks.server.ts for every
// request) or an API token in `Authorization: Bearer`, resolved here only, so page routes stay
// cookie-only and a token never reaches a form action.

/** What an endpoint asks of an API token: a scope, or 'session' (account endpoints: no token). */
export type Access = ApiScope | 'session';

export interface Caller {
	user: SessionUser;
	/** The API token the request came with; null when it came with the session cookie. */
	token: ApiTokenPrincipal | null;
}

/** The token of an `Authorization: Bearer` header ('' when it names none); null without one. */
export function bearerToken(headers: Headers): string | null {
	const match = headers.get('authorization')?.match(/^\s*bearer(?:\s+(.*))?$/i);
	return match ? (match[1]?.trim() ?? '') : null;
}

export class InvalidTokenError extends ApiError {
	constructor() {
		super(401, 'unauthorized', 'The API token is unknown, revoked or expired.');
	}
}

export class InsufficientScopeError extends ApiError {
	constructor(readonly requiredScope: Access) {
		super(
			403,
			'insufficient_scope',
			requiredScope === 'session'
				? 'This endpoint manages the account: it takes the session cookie, never an API token.'
				: `This needs the scope ${requiredScope}, which this token does not have.`,
			{ requiredScope }
		);
	}
}

/** Throws 403 insufficient_scope unless the token (if any) grants `access`. */
export function requireScope(token: ApiTokenPrincipal | null, access: Access): void {
	if (!token) return;
	if (access === 'session' || !token.scopes.includes(access)) {
		throw new InsufficientScopeError(access);
	}
}

/**
 * The caller of an endpoint that needs `access`. A bearer token wins over the cookie: 401 when it
 * is unknown, revoked or expired, 403 insufficient_scope when it lacks the scope. Without one,
 * the session cookie, or 401.
 */
export async function authenticateCaller(
	db: Db,
	request: Request,
	locals: App.Locals,
	access: Access
): Promise<Caller> {
	const token = bearerToken(request.headers);
	if (token === null) return { user: requireApiUser(locals), token: null };
	const auth = await resolveApiToken(db, token);
	if (!auth) throw new InvalidTokenError();
	requireScope(auth.token, access);
	return auth;
}
