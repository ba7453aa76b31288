import { fail } from '@sveltejs/kit';
import { createSession, generateSessionToken } from '$lib/server/auth';
import { getDb } from '$lib/server/db';
import { confirmEmail, findEmailConfirmation } from '$lib/server/email-confirmation';
import { setSessionCookie } from '$lib/server/session-cookie';
import type { Actions, PageServerLoad } from './$types';

// The link in the email opens a page that asks; only its button confirms. A GET changes nothing,
// so mail scanners and link previews that fetch the link do not use it up.
export const load: PageServerLoad = async ({ params, setHeaders }) => {
	// The token is in the path: no other site learns it from a Referer.
	setHeaders({ 'referrer-policy': 'no-referrer' });
	const link = await findEmailConfirmation(getDb(), params.token);
	return { link };
};

export const actions: Actions = {
	default: async ({ params, locals, cookies, url, request }) => {
		const db = getDb();
		const result = await confirmEmail(db, params.token);
		if (result.status === 'invalid') {
			return fail(410, {
				message:
					'This link does not work any more: it was used already, it is older than 24 hours, or a newer one was sent. Sign in and send yourself a new one.'
			});
		}
		if (result.status === 'taken') {
			return fail(409, {
				message:
					'Another account confirmed this address first, so it cannot be confirmed for this one.'
			});
		}
		// The link proves the address, so it signs its account in (unless an operator suspended it).
		// Someone signed in already stays who they are: a link forwarded to them must not swap them
		// into another account.
		if (!locals.user && !result.suspended) {
			const token = generateSessionToken();
			const session = await createSession(db, token, result.userId, {
				userAgent: request.headers.get('user-agent')
			});
			setSessionCookie(cookies, url, token, session.expiresAt);
		}
		return {
			confirmed: true,
			otherAccount: Boolean(locals.user && locals.user.id !== result.userId)
		};
	}
};
