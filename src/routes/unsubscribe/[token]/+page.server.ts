import { error } from '@sveltejs/kit';
import { eq } from 'drizzle-orm';
import { getDb } from '$lib/server/db';
import { users } from '$lib/server/db/schema';
import { setEmailNotifications, verifyUnsubscribeToken } from '$lib/server/email/unsubscribe';
import type { Actions, PageServerLoad } from './$types';

// GET only shows what would happen; the change takes a POST, either the page's button or a
// mailbox provider's RFC 8058 one-click request (no cookie, no matching Origin, no redirect).
export const load: PageServerLoad = async ({ params }) => {
	const userId = verifyUnsubscribeToken(params.token);
	if (!userId) error(404, 'Not found');
	const [user] = await getDb()
		.select({ email: users.email, enabled: users.emailNotifications })
		.from(users)
		.where(eq(users.id, userId));
	if (!user) error(404, 'Not found');
	return { email: user.email, enabled: user.enabled };
};

export const actions: Actions = {
	default: async ({ params }) => {
		const userId = verifyUnsubscribeToken(params.token);
		if (!userId) error(404, 'Not found');
		const user = await setEmailNotifications(getDb(), userId, false);
		if (!user) error(404, 'Not found');
		return { unsubscribed: true };
	}
};
