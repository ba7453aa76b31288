import { json } from '@sveltejs/kit';
import { eq } from 'drizzle-orm';
import {
	inboxQuerySchema,
	messagesQuerySchema,
	metricsQuerySchema,
	sendMessageSchema,
	threadStatusChangeSchema
} from '$lib/schemas/messaging';
import type { Db } from '../db';
import { users } from '../db/schema';
import { listMessages, sendMessage } from '../messaging/messages';
import { getProviderResponseMetrics } from '../messaging/metrics';
import { getUnreadCount, markMessageRead, markThreadRead } from '../messaging/read-state';
import {
	findContractForParty,
	getThreadForContract,
	listInbox,
	setThreadStatus
} from '../messaging/threads';
import { handleApi, notFound, readJsonBody, readQuery, requireApiUser, uuidParam } from './api';
import type { ApiEvent } from './contracts-api';
import { notifyTyping } from '../live/events';
import type { LiveHub } from '../live/hub';

// Every handler checks the session first (401), then that the caller is a party (404, the same
// answer as for something that does not exist), and only then looks at the input.
const NO_CONTRACT = 'No such contract.';

export function getMessages(db: Db, event: ApiEvent) {
	return handleApi(async () => {
		const user = requireApiUser(event.locals);
		const contractId = uuidParam(event.params.id, NO_CONTRACT);
		const query = readQuery(event.url, messagesQuerySchema);
		const page = await listMessages(db, user.id, contractId, {
			before: query.before ? Number(query.before) : undefined,
			limit: query.limit
		});
		if (!page) throw notFound(NO_CONTRACT);
		return json(page);
	});
}

export function postMessage(db: Db, event: ApiEvent) {
	return handleApi(async () => {
		const user = requireApiUser(event.locals);
		const contractId = uuidParam(event.params.id, NO_CONTRACT);
		// The send itself checks that the caller is a party, so the common case costs one call.
		// A bad body gets its 4xx only after that check, or a stranger could probe for contracts.
		const { body } = await readJsonBody(event.request, sendMessageSchema).catch(async (err) => {
			if (!(await findContractForParty(db, user.id, contractId))) throw notFound(NO_CONTRACT);
			throw err;
		});
		const message = await sendMessage(db, user.id, contractId, body);
		if (!message) throw notFound(NO_CONTRACT);
		return json(message, { status: 201 });
	});
}

export function getThread(db: Db, event: ApiEvent) {
	return handleApi(async () => {
		const user = requireApiUser(event.locals);
		const contractId = uuidParam(event.params.id, NO_CONTRACT);
		const thread = await getThreadForContract(db, user.id, contractId);
		if (!thread) {
			const isParty = await findContractForParty(db, user.id, contractId);
			throw notFound(isParty ? 'This contract has no messages yet.' : NO_CONTRACT);
		}
		return json(thread);
	});
}

export function patchThread(db: Db, event: ApiEvent) {
	return handleApi(async () => {
		const user = requireApiUser(event.locals);
		const contractId = uuidParam(event.params.id, NO_CONTRACT);
		if (!(await getThreadForContract(db, user.id, contractId))) throw notFound(NO_CONTRACT);
		const { status } = await readJsonBody(event.request, threadStatusChangeSchema);
		const thread = await setThreadStatus(db, user.id, contractId, status);
		if (!thread) throw notFound(NO_CONTRACT);
		return json(thread);
	});
}

export function putThreadRead(db: Db, event: ApiEvent) {
	return handleApi(async () => {
		const user = requireApiUser(event.locals);
		const contractId = uuidParam(event.params.id, NO_CONTRACT);
		const marked = await markThreadRead(db, user.id, contractId);
		if (marked === null) {
			// A party whose contract has no thread yet has nothing to read.
			if (await findContractForParty(db, user.id, contractId)) return json({ marked: 0 });
			throw notFound(NO_CONTRACT);
		}
		return json({ marked });
	});
}

export function putMessageRead(db: Db, event: ApiEvent) {
	return handleApi(async () => {
		const user = requireApiUser(event.locals);
		const messageId = uuidParam(event.params.id, 'No such message.');
		const marked = await markMessageRead(db, user.id, messageId);
		if (marked === null) throw notFound('No such message.');
		return new Response(null, { status: 204 });
	});
}

export function getUnread(db: Db, event: ApiEvent) {
	return handleApi(async () => {
		const user = requireApiUser(event.locals);
		return json({ count: await getUnreadCount(db, user.id) });
	});
}

export function getInbox(db: Db, event: ApiEvent) {
	return handleApi(async () => {
		const user = requireApiUser(event.locals);
		const query = readQuery(event.url, inboxQuerySchema);
		return json(
			await listInbox(db, user.id, {
				cursor: query.cursor,
				limit: query.limit,
				unreadOnly: query.unread
			})
		);
	});
}

/** GET /api/messages/stream: the user's live events as Server-Sent Events. */
export function openStream(db: Db, hub: LiveHub, event: ApiEvent) {
	return handleApi(async () => {
		const user = requireApiUser(event.locals);
		const header = event.request.headers.get('last-event-id');
		const lastEventId = header && /^\d{1,18}$/.test(header) ? Number(header) : null;
		return hub.open(user.id, lastEventId, event.request.signal);
	});
}

/** POST /api/contracts/{id}/typing: tells the other party, stores nothing. */
export function postTyping(db: Db, event: ApiEvent) {
	return handleApi(async () => {
		const user = requireApiUser(event.locals);
		const contractId = uuidParam(event.params.id, NO_CONTRACT);
		const contract = await findContractForParty(db, user.id, contractId);
		if (!contract) throw notFound(NO_CONTRACT);
		const thread = await getThreadForContract(db, user.id, contractId);
		if (thread) {
			await notifyTyping(db, {
				threadId: thread.id,
				contractId,
				userId: user.id,
				name: user.displayName,
				recipients: [contract.requesterId, contract.providerId].filter((id) => id !== user.id)
			});
		}
		return new Response(null, { status: 204 });
	});
}

export function getResponseMetrics(db: Db, event: ApiEvent) {
	return handleApi(async () => {
		requireApiUser(event.locals);
		const providerId = uuidParam(event.params.userId, 'No such user.');
		const { days } = readQuery(event.url, metricsQuerySchema);
		const [provider] = await db
			.select({ id: users.id })
			.from(users)
			.where(eq(users.id, providerId));
		if (!provider) throw notFound('No such user.');
		return json(await getProviderResponseMetrics(db, providerId, days));
	});
}
