import { error, fail, redirect } from '@sveltejs/kit';
import { uuidSchema } from '$lib/schemas/contracts';
import { newIdempotencyKey } from '$lib/message-rules';
import { messageBodySchema, messagesQuerySchema } from '$lib/schemas/messaging';
import { getConfig } from '$lib/server/config';
import { appAi } from '$lib/server/assistant/model';
import { getThreadAssistantState } from '$lib/server/assistant/settings';
import { allowedActions } from '$lib/server/contracts';
import { getDb } from '$lib/server/db';
import { requirePartyContract, requireUser } from '$lib/server/guards';
import { failFromDomainError } from '$lib/server/http/actions';
import {
	deleteMessage,
	editMessage,
	getUnreadCount,
	listMessages,
	markMessageUnread,
	markThreadRead,
	sendFormMessage,
	setThreadPreference
} from '$lib/server/messaging';
import { reportSchema } from '$lib/schemas/moderation';
import {
	blockUser,
	hasBlocked,
	reportMessage,
	reportUser,
	unblockUser
} from '$lib/server/moderation';
import { z } from 'zod';
import { loadMessageWindow } from './message-window';
import type { Actions, PageServerLoad, RequestEvent } from './$types';

export const load: PageServerLoad = async ({ locals, params, url, depends, isDataRequest }) => {
	depends('app:messages');
	const user = requireUser(locals, url);
	const db = getDb();
	const contract = await requirePartyContract(db, user.id, params.id);

	const query = messagesQuerySchema.safeParse({
		before: url.searchParams.get('before') ?? undefined
	});
	const before = query.success && query.data.before ? Number(query.data.before) : undefined;
	const opened = await loadMessageWindow(db, user.id, contract.id, url);
	const page = opened ?? (await listMessages(db, user.id, contract.id, { before, limit: 50 }))!;
	// Where the "New messages" divider goes: computed before the conversation is marked read.
	const firstUnreadId = page.messages.find((m) => !m.isRead)?.id ?? null;
	// Reading is a write, done only when the conversation is shown. A document request (a page
	// opened without JavaScript, or reloaded) is shown at once; a data request may be a link
	// preload on hover, so then the page marks the thread read itself once it is on screen.
	const readNow = !isDataRequest && page.thread !== null && page.thread.unreadCount > 0;
	if (readNow) await markThreadRead(db, user.id, contract.id);

	return {
		title: `${contract.counterpart.name} · ${contract.title}`,
		contract,
		contractActions: allowedActions(contract.status, contract.role),
		thread: page.thread && readNow ? { ...page.thread, unreadCount: 0 } : page.thread,
		messages: page.messages,
		nextCursor: page.nextCursor,
		olderPage: before !== undefined || opened !== null,
		// Opened at a message (a search result) or paging forwards from one: not the newest page.
		messageWindow: opened?.info ?? null,
		firstUnreadId,
		// The badge's count once this thread is read (else the dashboard layout's count stands).
		...(readNow ? { unreadCount: await getUnreadCount(db, user.id) } : {}),
		editWindowSeconds: getConfig().messaging.editWindowSeconds,
		// The AI controls show only with a configured model; the provider sees their assistant here.
		ai: appAi() !== null,
		assistant:
			appAi() && contract.role === 'provider'
				? await getThreadAssistantState(db, user.id, contract.id)
				: null,
		blocked: await hasBlocked(db, user.id, contract.counterpart.id),
		attachmentMaxBytes: getConfig().attachments.maxBytes,
		// The next message's key, so that the form carries one without JavaScript too.
		idempotencyKey: newIdempotencyKey()
	};
};

export const actions: Actions = {
	send: async ({ locals, params, request, url }) => {
		const user = requireUser(locals, url);
		const id = uuidSchema.safeParse(params.id);
		if (!id.success) error(404, 'Not found');
		const result = await sendFormMessage(getDb(), user.id, id.data, request);
		if (!result) error(404, 'Not found');
		if (!('sent' in result)) return fail(result.status, { body: result.body, error: result.error });
		const messageId = result.sent;
		// The enhanced form stays where it is (a navigation would take the focus out of the
		// message box); without JavaScript, post/redirect/get to the message just sent.
		if (request.headers.get('x-sveltekit-action') === 'true') return { sent: messageId };
		redirect(303, `/dashboard/rentals/${id.data}/messages#message-${messageId}`);
	},

	archive: preference({ archived: true }, '/dashboard/messages'),
	unarchive: preference({ archived: false }),
	mute: preference({ muted: true }),
	unmute: preference({ muted: false }),

	edit: async ({ locals, params, request, url }) => {
		const user = requireUser(locals, url);
		const { contractId, messageId, form } = await messageForm(params, request);
		const raw = String(form.get('body') ?? '');
		const parsed = messageBodySchema.safeParse(raw);
		if (!parsed.success) {
			return fail(400, {
				editId: messageId,
				editBody: raw,
				editError: parsed.error.issues[0]?.message ?? 'Invalid message.'
			});
		}
		try {
			if (!(await editMessage(getDb(), user.id, messageId, parsed.data))) error(404, 'Not found');
		} catch (err) {
			return failFromDomainError(err, (editError) => ({
				editId: messageId,
				editBody: raw,
				editError
			}));
		}
		redirect(303, `/dashboard/rentals/${contractId}/messages#message-${messageId}`);
	},

	delete: async ({ locals, params, request, url }) => {
		const user = requireUser(locals, url);
		const { contractId, messageId } = await messageForm(params, request);
		try {
			if ((await deleteMessage(getDb(), user.id, messageId)) === null) error(404, 'Not found');
		} catch (err) {
			return failFromDomainError(err, (deleteError) => ({ deleteId: messageId, deleteError }));
		}
		redirect(303, `/dashboard/rentals/${contractId}/messages#message-${messageId}`);
	},

	/** Reports a message (messageId) or, without one, the other party; optionally blocks them. */
	report: async ({ locals, params, request, url }) => {
		const user = requireUser(locals, url);
		const db = getDb();
		const contract = await requirePartyContract(db, user.id, params.id);
		const form = await request.formData();
		const rawMessageId = String(form.get('messageId') ?? '');
		const messageId = rawMessageId ? uuidSchema.safeParse(rawMessageId) : null;
		if (messageId && !messageId.success) error(404, 'Not found');
		const reportTarget = messageId?.data ?? 'person';
		const parsed = reportSchema.safeParse({
			reason: form.get('reason') ?? undefined,
			note: String(form.get('note') ?? ''),
			block: form.get('block') === 'on'
		});
		if (!parsed.success) {
			return fail(400, {
				reportTarget,
				reportErrors: z.flattenError(parsed.error).fieldErrors,
				reportError: 'Check the report: see the marked fields.'
			});
		}
		try {
			const report = messageId?.data
				? await reportMessage(db, user.id, messageId.data, parsed.data)
				: await reportUser(db, user.id, contract.counterpart.id, parsed.data);
			if (!report) error(404, 'Not found');
			return { reported: true, reportBlocked: report.blocked };
		} catch (err) {
			return failFromDomainError(err, (reportError) => ({
				reportTarget,
				reportErrors: {},
				reportError
			}));
		}
	},

	block: async ({ locals, params, url }) => {
		const user = requireUser(locals, url);
		const contract = await requirePartyContract(getDb(), user.id, params.id);
		await blockUser(getDb(), user.id, contract.counterpart.id);
		return { blockChanged: true };
	},

	unblock: async ({ locals, params, url }) => {
		const user = requireUser(locals, url);
		const contract = await requirePartyContract(getDb(), user.id, params.id);
		await unblockUser(getDb(), user.id, contract.counterpart.id);
		return { blockChanged: true };
	},

	/** Marks the message and everything after it unread, then goes back to the inbox. */
	unread: async ({ locals, params, request, url }) => {
		const user = requireUser(locals, url);
		const { messageId } = await messageForm(params, request);
		if ((await markMessageUnread(getDb(), user.id, messageId)) === null) error(404, 'Not found');
		redirect(303, '/dashboard/messages');
	}
};

/** Archive or mute (and back) for the viewer; archiving goes back to the inbox it left. */
function preference(change: { archived: boolean } | { muted: boolean }, then?: string) {
	return async ({ locals, params, url }: RequestEvent) => {
		const user = requireUser(locals, url);
		const id = uuidSchema.safeParse(params.id);
		if (!id.success || !(await setThreadPreference(getDb(), user.id, id.data, change))) {
			error(404, 'Not found');
		}
		if (then) redirect(303, then);
		return { preference: change };
	};
}

/** The contract and message ids of an action on one message: a 404 when either is malformed. */
async function messageForm(params: { id?: string }, request: Request) {
	const form = await request.formData();
	const contractId = uuidSchema.safeParse(params.id);
	const messageId = uuidSchema.safeParse(form.get('messageId'));
	if (!contractId.success || !messageId.success) error(404, 'Not found');
	return { contractId: contractId.data, messageId: messageId.data, form };
}
