import { json } from '@sveltejs/kit';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import {
	editMessageSchema,
	idempotencyKeySchema,
	inboxPageSchema,
	inboxQuerySchema,
	markedSchema,
	messagePageSchema,
	messageSchema,
	messagesQuerySchema,
	metricsQuerySchema,
	responseMetricsSchema,
	sendMessageSchema,
	threadSchema,
	threadStatusChangeSchema,
	uiMessagePageSchema,
	unreadCountSchema
} from '$lib/schemas/messaging';
import { messageAuthor } from '../api-tokens';
import type { Db } from '../db';
import { users } from '../db/schema';
import {
	appendMessage,
	deleteMessage,
	editMessage,
	findContractForParty,
	getMessageForViewer,
	getProviderResponseMetrics,
	getThreadForContract,
	getUnreadCount,
	listInbox,
	listMessages,
	markMessageRead,
	markMessageUnread,
	markThreadRead,
	setThreadPreference,
	setThreadStatus,
	toUIMessages
} from '../messaging';
import { notFound } from './api';
import { endpoint, type ApiEvent, type PathParam } from './endpoint';
import { notifyTyping } from '../live/events';
import { enforceTypingLimit, messageLimits } from '../limits';
import { assistantLabel } from '../messaging/views';
import type { LiveHub } from '../live/hub';

// Every handler is reached with a session (else 401) and ids that can exist (else 404); it then
// checks that the caller is a party (404, the same answer as for something that does not exist),
// and only then looks at the body.
const NO_CONTRACT = 'No such contract.';
const contractId: PathParam = { description: 'Contract id', notFound: NO_CONTRACT };
const messageId: PathParam = { description: 'Message id', notFound: 'No such message.' };

export const getMessages = endpoint({
	method: 'GET',
	path: '/api/contracts/{id}/messages',
	summary: 'A page of the contract’s conversation, oldest first',
	scope: 'messages:read',
	params: { id: contractId },
	query: messagesQuerySchema,
	responses: {
		200: {
			description: 'The page; with format=ui its messages are the AI SDK’s UIMessages',
			schema: z.union([messagePageSchema, uiMessagePageSchema])
		}
	},
	async handler({ db, user, params, query }) {
		const page = await listMessages(db, user.id, params.id, {
			before: query.before ? Number(query.before) : undefined,
			limit: query.limit
		});
		if (!page) throw notFound(NO_CONTRACT);
		if (query.format === 'ui') return json({ ...page, messages: toUIMessages(page.messages) });
		return json(page);
	}
});

export const postMessage = endpoint({
	method: 'POST',
	path: '/api/contracts/{id}/messages',
	summary: 'Send a message in the contract’s thread (created on the first message)',
	scope: 'messages:write',
	params: { id: contractId },
	headers: z.object({ 'Idempotency-Key': idempotencyKeySchema.optional() }),
	body: sendMessageSchema,
	responses: {
		201: { description: 'The stored message', schema: messageSchema },
		200: {
			description: 'A retry with an Idempotency-Key already used for this message: the first one',
			schema: messageSchema
		}
	},
	errors: [409, 422, 429],
	async handler({ db, user, token, params, headers, body }) {
		// The send itself checks that the caller is a party, so the common case costs one call.
		// A bad body gets its 4xx only after that check, or a stranger could probe for contracts.
		const { body: text, attachmentIds } = await body().catch(async (err) => {
			if (!(await findContractForParty(db, user.id, params.id))) throw notFound(NO_CONTRACT);
			throw err;
		});
		// An agent token writes as the assistant acting for the user, a personal token as the user.
		const appended = await appendMessage(db, messageAuthor(user.id, token), params.id, {
			body: text,
			idempotencyKey: headers['Idempotency-Key'],
			attachmentIds,
			limits: messageLimits(user.id)
		});
		if (!appended) throw notFound(NO_CONTRACT);
		return json(appended.message, { status: appended.replayed ? 200 : 201 });
	}
});

export const patchMessage = endpoint({
	method: 'PATCH',
	path: '/api/messages/{id}',
	summary: 'Edit my own message, within MESSAGE_EDIT_WINDOW_SECONDS of sending it',
	scope: 'messages:write',
	params: { id: messageId },
	body: editMessageSchema,
	responses: { 200: { description: 'The edited message', schema: messageSchema } },
	errors: [403, 409],
	async handler({ db, user, params, body }) {
		// As for a send: whoever cannot see the message learns nothing from a bad body.
		const { body: text } = await body().catch(async (err) => {
			if (!(await getMessageForViewer(db, user.id, params.id))) throw notFound(messageId.notFound);
			throw err;
		});
		const message = await editMessage(db, user.id, params.id, text);
		if (!message) throw notFound(messageId.notFound);
		return json(message);
	}
});

export const removeMessage = endpoint({
	method: 'DELETE',
	path: '/api/messages/{id}',
	summary:
		'Delete (unsend) my own message within 24 hours: its text and edit history are erased, it stays as deleted',
	scope: 'messages:write',
	params: { id: messageId },
	responses: { 204: { description: 'Deleted (also when it already was)' } },
	errors: [403, 409],
	async handler({ db, user, params }) {
		if ((await deleteMessage(db, user.id, params.id)) === null) throw notFound(messageId.notFound);
		return new Response(null, { status: 204 });
	}
});

export const putMessageUnread = endpoint({
	method: 'PUT',
	path: '/api/messages/{id}/unread',
	summary:
		'Mark this message and every later one from the other side unread for me (the read watermark moves back)',
	scope: 'messages:write',
	params: { id: messageId },
	responses: { 204: { description: 'Marked unread' } },
	async handler({ db, user, params }) {
		const marked = await markMessageUnread(db, user.id, params.id);
		if (marked === null) throw notFound(messageId.notFound);
		return new Response(null, { status: 204 });
	}
});

export const getThread = endpoint({
	method: 'GET',
	path: '/api/contracts/{id}/thread',
	summary: 'The contract’s thread; 404 while it has no message',
	scope: 'messages:read',
	params: { id: contractId },
	responses: { 200: { description: 'The thread', schema: threadSchema } },
	async handler({ db, user, params }) {
		const thread = await getThreadForContract(db, user.id, params.id);
		if (!thread) {
			const isParty = await findContractForParty(db, user.id, params.id);
			throw notFound(isParty ? 'This contract has no messages yet.' : NO_CONTRACT);
		}
		return json(thread);
	}
});

export const patchThread = endpoint({
	method: 'PATCH',
	path: '/api/contracts/{id}/thread',
	summary: 'Mark the thread resolved, or open again',
	scope: 'messages:write',
	params: { id: contractId },
	body: threadStatusChangeSchema,
	responses: { 200: { description: 'The thread', schema: threadSchema } },
	errors: [409],
	async handler({ db, user, params, body }) {
		if (!(await getThreadForContract(db, user.id, params.id))) throw notFound(NO_CONTRACT);
		const { status } = await body();
		const thread = await setThreadStatus(db, user.id, params.id, status);
		if (!thread) throw notFound(NO_CONTRACT);
		return json(thread);
	}
});

/** PUT and DELETE of one of the caller's own settings of a thread (archived, muted). */
function threadPreference(name: 'archive' | 'mute', method: 'PUT' | 'DELETE', summary: string) {
	return endpoint({
		method,
		path: `/api/contracts/{id}/thread/${name}`,
		summary,
		scope: 'messages:write',
		params: { id: contractId },
		responses: {
			200: { description: 'The thread as the caller sees it now', schema: threadSchema }
		},
		async handler({ db, user, params }) {
			const on = method === 'PUT';
			const thread = await setThreadPreference(
				db,
				user.id,
				params.id,
				name === 'archive' ? { archived: on } : { muted: on }
			);
			if (!thread) {
				const isParty = await findContractForParty(db, user.id, params.id);
				throw notFound(isParty ? 'This contract has no messages yet.' : NO_CONTRACT);
			}
			return json(thread);
		}
	});
}

export const archiveThread = threadPreference(
	'archive',
	'PUT',
	'Archive the thread for me: out of my inbox until the next message arrives'
);
export const unarchiveThread = threadPreference(
	'archive',
	'DELETE',
	'Bring the thread back to my inbox'
);
export const muteThread = threadPreference(
	'mute',
	'PUT',
	'Mute the thread for me: no email about it, and not counted in my unread badge'
);
export const unmuteThread = threadPreference('mute', 'DELETE', 'Unmute the thread for me');

export const putThreadRead = endpoint({
	method: 'PUT',
	path: '/api/contracts/{id}/thread/read',
	summary: 'Mark every message of the thread read',
	scope: 'messages:write',
	params: { id: contractId },
	responses: { 200: { description: 'How many were newly marked', schema: markedSchema } },
	async handler({ db, user, params }) {
		const marked = await markThreadRead(db, user.id, params.id);
		if (marked === null) {
			// A party whose contract has no thread yet has nothing to read.
			if (await findContractForParty(db, user.id, params.id)) return json({ marked: 0 });
			throw notFound(NO_CONTRACT);
		}
		return json({ marked });
	}
});

export const putMessageRead = endpoint({
	method: 'PUT',
	path: '/api/messages/{id}/read',
	summary: 'Mark this message and every earlier one of its thread read',
	scope: 'messages:write',
	params: { id: messageId },
	responses: { 204: { description: 'Marked (idempotent)' } },
	async handler({ db, user, params }) {
		const marked = await markMessageRead(db, user.id, params.id);
		if (marked === null) throw notFound(messageId.notFound);
		return new Response(null, { status: 204 });
	}
});

export const getUnread = endpoint({
	method: 'GET',
	path: '/api/messages/unread-count',
	summary: 'My total unread messages',
	scope: 'messages:read',
	responses: { 200: { description: 'The count', schema: unreadCountSchema } },
	async handler({ db, user }) {
		return json({ count: await getUnreadCount(db, user.id) });
	}
});

export const getInbox = endpoint({
	method: 'GET',
	path: '/api/messages/inbox',
	summary: 'Threads I am in, most recent activity first',
	scope: 'messages:read',
	query: inboxQuerySchema,
	responses: { 200: { description: 'The page', schema: inboxPageSchema } },
	async handler({ db, user, query }) {
		return json(
			await listInbox(db, user.id, {
				cursor: query.cursor,
				limit: query.limit,
				unreadOnly: query.unread,
				archived: query.archived
			})
		);
	}
});

export const streamEvents = endpoint({
	method: 'GET',
	path: '/api/messages/stream',
	summary:
		'Server-Sent Events for me: message.created, message.updated, message.deleted, message.read, message.unread, unread.changed, thread.updated, typing, resync',
	scope: 'messages:read',
	headers: z.object({
		'Last-Event-ID': z
			.string()
			.regex(/^\d{1,18}$/)
			.transform(Number)
			.optional()
			// Anything but an id we sent is ignored: the client gets a fresh stream.
			.catch(undefined)
			.meta({
				description: 'The id of the last event received: the stream replays what came after it.'
			})
	}),
	responses: { 200: { description: 'The stream', contentType: 'text/event-stream' } },
	async handler({ user, token, event, headers, services }) {
		const lastEventId = headers['Last-Event-ID'] ?? null;
		// The stream ends when what it was opened with does: the session, or the API token.
		return services.liveHub().open(user.id, lastEventId, event.request.signal, {
			sessionId: token ? null : event.locals.sessionId,
			tokenId: token?.id ?? null
		});
	}
});

/** The stream with a hub of the caller's choosing (tests run their own). */
export function openStream(db: Db, hub: LiveHub, event: ApiEvent) {
	return streamEvents(db, event, { liveHub: () => hub });
}

export const postTyping = endpoint({
	method: 'POST',
	path: '/api/contracts/{id}/typing',
	summary: 'Tell the other party I am typing (not stored)',
	scope: 'messages:write',
	params: { id: contractId },
	responses: { 204: { description: 'Sent' } },
	errors: [429],
	async handler({ db, user, token, params }) {
		const contract = await findContractForParty(db, user.id, params.id);
		if (!contract) throw notFound(NO_CONTRACT);
		const thread = await getThreadForContract(db, user.id, params.id);
		if (thread) {
			await enforceTypingLimit(db, user.id);
			await notifyTyping(db, {
				threadId: thread.id,
				contractId: params.id,
				userId: user.id,
				// An agent types under the same label its messages carry.
				name:
					token?.kind === 'agent' ? assistantLabel(token.name, user.displayName) : user.displayName,
				recipients: [contract.requesterId, contract.providerId].filter((id) => id !== user.id)
			});
		}
		return new Response(null, { status: 204 });
	}
});

export const getResponseMetrics = endpoint({
	method: 'GET',
	path: '/api/providers/{userId}/response-metrics',
	summary: 'How quickly and how often a provider answers renters',
	scope: 'messages:read',
	params: { userId: { description: 'Provider’s user id', notFound: 'No such user.' } },
	query: metricsQuerySchema,
	responses: { 200: { description: 'The metrics', schema: responseMetricsSchema } },
	async handler({ db, params, query }) {
		const [provider] = await db
			.select({ id: users.id })
			.from(users)
			.where(eq(users.id, params.userId));
		if (!provider) throw notFound('No such user.');
		return json(await getProviderResponseMetrics(db, params.userId, query.days));
	}
});
