import { fail, redirect } from '@sveltejs/kit';
import { z } from 'zod';
import { loginSchema, safeRedirectPath } from '$lib/schemas/auth';
import {
	InvalidCredentialsError,
	LoginThrottledError,
	authenticate,
	createSession,
	generateSessionToken
} from '$lib/server/auth';
import { getDb } from '$lib/server/db';
import { setSessionCookie } from '$lib/server/session-cookie';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals, url }) => {
	const redirectTo = safeRedirectPath(url.searchParams.get('redirectTo'));
	if (locals.user) redirect(303, redirectTo);
	return { redirectTo };
};

export const actions: Actions = {
	default: async ({ request, cookies, url, getClientAddress }) => {
		const form = await request.formData();
		const email = String(form.get('email') ?? '');
		const parsed = loginSchema.safeParse({ email, password: form.get('password') ?? '' });
		if (!parsed.success) {
			return fail(400, { email, errors: z.flattenError(parsed.error).fieldErrors, message: null });
		}
		const db = getDb();
		try {
			const user = await authenticate(db, { ...parsed.data, ip: getClientAddress() });
			const token = generateSessionToken();
			const session = await createSession(db, token, user.id, {
				userAgent: request.headers.get('user-agent')
			});
			setSessionCookie(cookies, url, token, session.expiresAt);
		} catch (err) {
			if (err instanceof LoginThrottledError) {
				return fail(429, { email, errors: {}, message: err.message });
			}
			if (err instanceof InvalidCredentialsError) {
				return fail(400, { email, errors: {}, message: err.message });
			}
			throw err;
		}
		redirect(
			303,
			safeRedirectPath(url.searchParams.get('redirectTo') ?? String(form.get('redirectTo') ?? ''))
		);
	}
};
