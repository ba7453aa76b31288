import { error } from '@sveltejs/kit';
import { inboxQuerySchema } from '$lib/schemas/messaging';
import { getDb } from '$lib/server/db';
import { requireUser } from '$lib/server/guards';
import { DomainError } from '$lib/server/errors';
import { InvalidCursorError, listInbox } from '$lib/server/messaging';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url, depends }) => {
	depends('app:messages');
	const user = requireUser(locals, url);
	const query = inboxQuerySchema.safeParse(Object.fromEntries(url.searchParams));
	if (!query.success) error(400, query.error.issues[0]?.message ?? 'Invalid query');
	const list = (cursor: string | undefined) =>
		listInbox(getDb(), user.id, {
			cursor,
			limit: query.data.limit,
			unreadOnly: query.data.unread,
			archived: query.data.archived
		});
	try {
		// A cursor that is not one of ours (edited, or from an old link) shows the first page.
		let cursor = query.data.cursor;
		const page = await list(cursor).catch((err) => {
			if (!(err instanceof InvalidCursorError)) throw err;
			cursor = undefined;
			return list(undefined);
		});
		return {
			title: 'Messages',
			...page,
			unreadOnly: query.data.unread,
			archived: query.data.archived,
			paged: !!cursor
		};
	} catch (err) {
		if (err instanceof DomainError) error(err.status, err.message);
		throw err;
	}
};
