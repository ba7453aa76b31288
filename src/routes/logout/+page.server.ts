import { redirect } from '@sveltejs/kit';
import { invalidateSession } from '$lib/server/auth';
import { getDb } from '$lib/server/db';
import { deleteSessionCookie } from '$lib/server/session-cookie';
import type { Actions, PageServerLoad } from './$types';

// A GET only shows a button: logging out changes state, so it takes a POST.
export const load: PageServerLoad = ({ locals }) => {
	if (!locals.user) redirect(303, '/');
	return {};
};

export const actions: Actions = {
	default: async ({ locals, cookies, url }) => {
		if (locals.sessionId) await invalidateSession(getDb(), locals.sessionId);
		deleteSessionCookie(cookies, url);
		redirect(303, '/');
	}
};
