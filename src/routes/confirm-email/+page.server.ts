import { fail } from '@sveltejs/kit';
import { getConfig } from '$lib/server/config';
import { getDb } from '$lib/server/db';
import { requestEmailConfirmation } from '$lib/server/email-confirmation';
import { sendSoon } from '$lib/server/email/send-soon';
import { requireUser } from '$lib/server/guards';
import { RateLimitedError } from '$lib/server/rate-limit';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals, url }) => {
	const user = requireUser(locals, url);
	return { email: user.email, confirmed: user.emailConfirmed };
};

export const actions: Actions = {
	// "Email me a new link" in the banner: one email per address per cooldown, whoever asks.
	resend: async ({ locals, url }) => {
		const user = requireUser(locals, url);
		if (user.emailConfirmed) return { sent: false };
		const db = getDb();
		try {
			sendSoon(db, await requestEmailConfirmation(db, user.id, getConfig()));
		} catch (err) {
			if (err instanceof RateLimitedError) return fail(429, { message: err.message });
			throw err;
		}
		return { sent: true };
	}
};
