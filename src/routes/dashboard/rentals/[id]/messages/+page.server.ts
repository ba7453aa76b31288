import { error, fail, redirect } from '@sveltejs/kit';
import { uuidSchema } from '$lib/schemas/contracts';
import { messageBodySchema, messagesQuerySchema } from '$lib/schemas/messaging';
import { getDb } from '$lib/server/db';
import { requirePartyContract, requireUser } from '$lib/server/guards';
import { failFromDomainError } from '$lib/server/http/actions';
import { appendMessage, getUnreadCount, listMessages, markThreadRead } from '$lib/server/messaging';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, params, url, depends }) => {
	depends('app:messages');
	const user = requireUser(locals, url);
	const db = getDb();
	const contract = await requirePartyContract(db, user.id, params.id);

	const query = messagesQuerySchema.safeParse({
		before: url.searchParams.get('before') ?? undefined
	});
	const before = query.success && query.data.before ? Number(query.data.before) : undefined;
	const page = (await listMessages(db, user.id, contract.id, { before, limit: 50 }))!;
	// Where the "New messages" divider goes: computed before the conversation is marked read.
	const firstUnreadId = page.messages.find((m) => !m.isRead)?.id ?? null;
	// Opening the conversation reads it, even when it is too short to scroll.
	if (page.thread && page.thread.unreadCount > 0) await markThreadRead(db, user.id, contract.id);

	return {
		title: `${contract.counterpart.name} · ${contract.title}`,
		contract,
		thread: page.thread ? { ...page.thread, unreadCount: 0 } : null,
		messages: page.messages,
		nextCursor: page.nextCursor,
		olderPage: before !== undefined,
		firstUnreadId,
		// The dashboard layout shows this in the badge: it already counts this thread as read.
		unreadCount: await getUnreadCount(db, user.id)
	};
};

export const actions: Actions = {
	send: async ({ locals, params, request, url }) => {
		const user = requireUser(locals, url);
		const id = uuidSchema.safeParse(params.id);
		if (!id.success) error(404, 'Not found');
		const raw = String((await request.formData()).get('body') ?? '');
		const parsed = messageBodySchema.safeParse(raw);
		if (!parsed.success) {
			return fail(400, { body: raw, error: parsed.error.issues[0]?.message ?? 'Invalid message.' });
		}
		try {
			const appended = await appendMessage(getDb(), { kind: 'user', userId: user.id }, id.data, {
				body: parsed.data
			});
			if (!appended) error(404, 'Not found');
		} catch (err) {
			return failFromDomainError(err, (error) => ({ body: raw, error }));
		}
		// Post/redirect/get: a reload does not send twice, and without JavaScript the page shows it.
		redirect(303, `/dashboard/rentals/${id.data}/messages`);
	}
};
