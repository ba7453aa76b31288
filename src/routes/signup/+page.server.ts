import { fail, redirect } from '@sveltejs/kit';
import { z } from 'zod';
import { safeRedirectPath, signupSchema } from '$lib/schemas/auth';
import { getDb } from '$lib/server/db';
import { sendSoon } from '$lib/server/email/send-soon';
import { passwordWeakness } from '$lib/server/password-strength';
import { RateLimitedError } from '$lib/server/rate-limit';
import { setSessionCookie } from '$lib/server/session-cookie';
import { signUp } from '$lib/server/signup';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals, url }) => {
	const redirectTo = safeRedirectPath(url.searchParams.get('redirectTo'));
	if (locals.user) redirect(303, redirectTo);
	return { redirectTo };
};

export const actions: Actions = {
	// A registered address and a new one get the same answer: see signup.ts.
	default: async ({ request, cookies, url, getClientAddress }) => {
		const form = await request.formData();
		const values = {
			displayName: String(form.get('displayName') ?? ''),
			email: String(form.get('email') ?? '')
		};
		const parsed = signupSchema.safeParse({ ...values, password: form.get('password') ?? '' });
		if (!parsed.success) {
			return fail(400, {
				values,
				errors: z.flattenError(parsed.error).fieldErrors,
				message: null
			});
		}
		const weakness = passwordWeakness(parsed.data.password, [
			parsed.data.email,
			parsed.data.displayName
		]);
		if (weakness) return fail(400, { values, errors: { password: [weakness] }, message: null });
		const db = getDb();
		try {
			const result = await signUp(db, parsed.data, {
				ip: getClientAddress(),
				userAgent: request.headers.get('user-agent')
			});
			setSessionCookie(cookies, url, result.sessionToken, result.session.expiresAt);
			sendSoon(db, result.emailId);
		} catch (err) {
			if (err instanceof RateLimitedError) {
				return fail(429, { values, errors: {}, message: err.message });
			}
			throw err;
		}
		redirect(303, safeRedirectPath(String(form.get('redirectTo') ?? '')));
	}
};
