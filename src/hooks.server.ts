import type { Handle, HandleServerError, ServerInit } from '@sveltejs/kit';
import { SESSION_COOKIE, validateSessionToken } from '$lib/server/auth';
import { appDatabase } from '$lib/server/db';
import { deleteSessionCookie, setSessionCookie } from '$lib/server/session-cookie';

export const init: ServerInit = async () => {
	// Every instance migrates at start-up; an advisory lock makes concurrent starts take turns.
	const database = appDatabase();
	await database.migrate();
	console.log(`Parley: database ready (${database.driver}: ${database.location}).`);
};

export const handle: Handle = async ({ event, resolve }) => {
	event.locals.requestId = crypto.randomUUID();
	event.locals.user = null;
	event.locals.sessionId = null;

	const token = event.cookies.get(SESSION_COOKIE);
	if (token) {
		const result = await validateSessionToken(appDatabase().db, token);
		if (result.session) {
			event.locals.user = result.user;
			event.locals.sessionId = result.session.id;
			if (result.renewed)
				setSessionCookie(event.cookies, event.url, token, result.session.expiresAt);
		} else {
			deleteSessionCookie(event.cookies, event.url);
		}
	}

	const response = await resolve(event);
	response.headers.set('x-request-id', event.locals.requestId);
	response.headers.set('x-content-type-options', 'nosniff');
	response.headers.set('referrer-policy', 'strict-origin-when-cross-origin');
	response.headers.set('x-frame-options', 'DENY');
	return response;
};

export const handleError: HandleServerError = ({ error, event, status, message }) => {
	if (status === 404) return { message };
	const requestId = event.locals.requestId ?? crypto.randomUUID();
	console.error(`[${requestId}] ${event.request.method} ${event.url.pathname}:`, error);
	return { message: 'Something went wrong on our side.', requestId };
};
