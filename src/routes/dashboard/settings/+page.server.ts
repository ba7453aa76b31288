import { getDb } from '$lib/server/db';
import { setEmailNotifications } from '$lib/server/email/unsubscribe';
import { requireUser } from '$lib/server/guards';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals, url }) => {
	const user = requireUser(locals, url);
	return { title: 'Settings', emailNotifications: user.emailNotifications, email: user.email };
};

export const actions: Actions = {
	default: async ({ locals, request, url }) => {
		const user = requireUser(locals, url);
		const enabled = (await request.formData()).get('emailNotifications') === 'on';
		await setEmailNotifications(getDb(), user.id, enabled);
		return { saved: true, enabled };
	}
};
