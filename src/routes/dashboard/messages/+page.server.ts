import { error } from '@sveltejs/kit';
import { inboxQuerySchema } from '$lib/schemas/messaging';
import { getDb } from '$lib/server/db';
import { requireUser } from '$lib/server/guards';
import { DomainError } from '$lib/server/errors';
import { listInbox } from '$lib/server/messaging';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url, depends }) => {
	depends('app:messages');
	const user = requireUser(locals, url);
	const query = inboxQuerySchema.safeParse(Object.fromEntries(url.searchParams));
	if (!query.success) error(400, query.error.issues[0]?.message ?? 'Invalid query');
	try {
		const page = await listInbox(getDb(), user.id, {
			cursor: query.data.cursor,
			limit: query.data.limit,
			unreadOnly: query.data.unread,
			archived: query.data.archived
		});
		return {
			title: 'Messages',
			...page,
			unreadOnly: query.data.unread,
			archived: query.data.archived,
			paged: !!query.data.cursor
		};
	} catch (err) {
		if (err instanceof DomainError) error(err.status, err.message);
		throw err;
	}
};
