import { getDb } from '$lib/server/db';
import { requireUser } from '$lib/server/guards';
import { getUnreadCount } from '$lib/server/messaging/read-state';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = async ({ locals, url, depends }) => {
	depends('app:unread');
	const user = requireUser(locals, url);
	return { unreadCount: await getUnreadCount(getDb(), user.id) };
};
