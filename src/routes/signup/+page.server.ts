import { fail, redirect } from '@sveltejs/kit';
import { z } from 'zod';
import { safeRedirectPath, signupSchema } from '$lib/schemas/auth';
import { EmailTakenError, createSession, createUser, generateSessionToken } from '$lib/server/auth';
import { getDb } from '$lib/server/db';
import { setSessionCookie } from '$lib/server/session-cookie';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals, url }) => {
	const redirectTo = safeRedirectPath(url.searchParams.get('redirectTo'));
	if (locals.user) redirect(303, redirectTo);
	return { redirectTo };
};

export const actions: Actions = {
	default: async ({ request, cookies, url }) => {
		const form = await request.formData();
		const values = {
			displayName: String(form.get('displayName') ?? ''),
			email: String(form.get('email') ?? '')
		};
		const parsed = signupSchema.safeParse({ ...values, password: form.get('password') ?? '' });
		if (!parsed.success) {
			return fail(400, { values, errors: z.flattenError(parsed.error).fieldErrors });
		}
		const db = getDb();
		try {
			const user = await createUser(db, parsed.data);
			const token = generateSessionToken();
			const session = await createSession(db, token, user.id);
			setSessionCookie(cookies, url, token, session.expiresAt);
		} catch (err) {
			if (err instanceof EmailTakenError) {
				return fail(409, { values, errors: { email: [err.message] } });
			}
			throw err;
		}
		redirect(303, safeRedirectPath(String(form.get('redirectTo') ?? '')));
	}
};
