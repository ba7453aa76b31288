// What is measured: each endpoint as an HTTP request and, beside it, the domain function that
// the endpoint calls, run in-process on a pool of the app's size.

import type { Db } from '../src/lib/server/db';
import { listMessages, sendMessage } from '../src/lib/server/messaging/messages';
import { getUnreadCount, markThreadRead } from '../src/lib/server/messaging/read-state';
import { listInbox } from '../src/lib/server/messaging/threads';
import type { Dataset } from './dataset';
import type { HttpScenario } from './load';

export interface Scenario {
	key: string;
	name: string;
	/** The same request for every dataset it runs on: reads are compared across sizes. */
	http: (ds: Dataset, cookie: string) => HttpScenario;
	direct: (ds: Dataset, db: Db) => (n: number) => Promise<unknown>;
}

export const INBOX_LIMIT = 20;
export const PAGE_LIMIT = 50;
const BODY = 'Benchmark message: is the drill still available on Saturday?';

export const readScenarios: Scenario[] = [
	{
		key: 'unread',
		name: 'Unread count',
		http: (_ds, cookie) => ({ method: 'GET', cookie, path: () => '/api/messages/unread-count' }),
		direct: (ds, db) => () => getUnreadCount(db, ds.busyProviderId)
	},
	{
		key: 'inbox',
		name: `Inbox, first page (${INBOX_LIMIT})`,
		http: (_ds, cookie) => ({
			method: 'GET',
			cookie,
			path: () => `/api/messages/inbox?limit=${INBOX_LIMIT}`
		}),
		direct: (ds, db) => () => listInbox(db, ds.busyProviderId, { limit: INBOX_LIMIT })
	},
	{
		key: 'thread',
		name: `Thread, first page (${PAGE_LIMIT}) of the longest thread`,
		http: (ds, cookie) => ({
			method: 'GET',
			cookie,
			path: () => `/api/contracts/${ds.hotContractId}/messages?limit=${PAGE_LIMIT}`
		}),
		direct: (ds, db) => () =>
			listMessages(db, ds.busyProviderId, ds.hotContractId, { limit: PAGE_LIMIT })
	}
];

/** Rotates over the busy provider's contracts so that concurrent sends rarely share a thread. */
function rotate(ds: Dataset): () => string {
	let i = 0;
	return () => ds.busyContracts[i++ % ds.busyContracts.length]!.contractId;
}

export const sendScenarios: Scenario[] = [
	{
		key: 'send-hot',
		name: 'Send a message, all into one thread',
		http: (ds, cookie) => ({
			method: 'POST',
			cookie,
			body: JSON.stringify({ body: BODY }),
			path: () => `/api/contracts/${ds.hotContractId}/messages`
		}),
		direct: (ds, db) => () => sendMessage(db, ds.busyProviderId, ds.hotContractId, BODY)
	},
	{
		key: 'send-spread',
		name: 'Send a message, rotating over the busy threads',
		http: (ds, cookie) => {
			const next = rotate(ds);
			return {
				method: 'POST',
				cookie,
				body: JSON.stringify({ body: BODY }),
				path: () => `/api/contracts/${next()}/messages`
			};
		},
		direct: (ds, db) => {
			const next = rotate(ds);
			return () => sendMessage(db, ds.busyProviderId, next(), BODY);
		}
	}
];

/** Each operation marks one thread read in which the counterpart has just written (see run.ts). */
export const markReadScenario: Scenario = {
	key: 'mark-read',
	name: 'Mark a thread read (one new message each)',
	http: (ds, cookie) => {
		const next = rotate(ds);
		return { method: 'PUT', cookie, path: () => `/api/contracts/${next()}/thread/read` };
	},
	direct: (ds, db) => {
		const next = rotate(ds);
		return () => markThreadRead(db, ds.busyProviderId, next());
	}
};

/** Makes every busy thread unread for the busy provider: its requester writes one message. */
export function counterpartWrites(ds: Dataset, db: Db): (n: number) => Promise<unknown> {
	return (n) => {
		const contract = ds.busyContracts[n % ds.busyContracts.length]!;
		return sendMessage(
			db,
			contract.requesterId,
			contract.contractId,
			'New message for the read test.'
		);
	};
}
