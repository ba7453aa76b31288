// What is measured: each endpoint as an HTTP request and, beside it, the domain function that
// the endpoint calls, run in-process on a pool of the app's size.

import type { Db } from '../src/lib/server/db';
import {
	appendMessage,
	getUnreadCount,
	listInbox,
	listMessages,
	markThreadRead,
	searchMessages
} from '../src/lib/server/messaging';
import { SEARCH_BOX_LIMIT } from '../src/lib/search';
import { SEARCH_WORDS, type Dataset } from './dataset';
import { requestAll, type HttpScenario, type PlainRequest } from './load';

/** A person's message, as `POST /api/contracts/{id}/messages` sends it. */
export const sendMessage = (db: Db, userId: string, contractId: string, body: string) =>
	appendMessage(db, { kind: 'user', userId }, contractId, { body });

/** What a scenario's set-up sees of one running version: its server and its sessions. */
export interface SideContext {
	baseUrl: string;
	dataset: Dataset;
	/** The busy provider's session. */
	cookie: string;
	/** A session of the requester of each of the first PREPARED_THREADS busy contracts. */
	counterpartCookies: string[];
	concurrency: number;
}

export interface Scenario {
	key: string;
	name: string;
	/**
	 * The same request for every dataset it runs on: reads are compared across sizes. `work` is
	 * what `prepare` returned for this run (empty without it).
	 */
	http: (ds: Dataset, cookie: string, work: string[]) => HttpScenario;
	/** The domain function behind the endpoint, in-process; absent for HTTP-only rows. */
	direct?: (ds: Dataset, db: Db) => (n: number) => Promise<unknown>;
	/** Untimed, before each direct run (e.g. the counterpart's messages that mark-read reads). */
	prepareDirect?: (ds: Dataset, db: Db, count: number) => (n: number) => Promise<unknown>;
	/**
	 * Untimed set-up before each HTTP run, through that version's own API so that it works on
	 * either side of a --baseline comparison; returns the ids the run works through. Such a run
	 * makes `passes` requests per id (a fixed count) instead of running for --duration.
	 */
	prepare?: (side: SideContext, count: number) => Promise<string[]>;
	passes?: number;
	/** Changes data: under --baseline both sides of a run make the same number of requests. */
	writes?: boolean;
	/** Added by the messaging edit work: a side that answers 404/405 does not have it yet. */
	optional?: boolean;
	/**
	 * 'bearer': the busy provider's API token (`Authorization: Bearer`) instead of the session
	 * cookie; a side that answers it 401 does not take tokens yet.
	 */
	auth?: 'bearer';
}

export const INBOX_LIMIT = 20;
export const PAGE_LIMIT = 50;
/** Threads, or messages, that one run of a prepared scenario goes through. */
export const PREPARED_THREADS = 2000;
const BODY = 'Benchmark message: is the drill still available on Saturday?';

export const readScenarios: Scenario[] = [
	{
		key: 'unread',
		name: 'Unread count',
		http: (_ds, cookie) => ({ method: 'GET', cookie, path: () => '/api/messages/unread-count' }),
		direct: (ds, db) => () => getUnreadCount(db, ds.busyProviderId)
	},
	{
		// Right after the cookie row, so the two run close together: the report gives the ratio.
		key: 'unread-bearer',
		name: 'Unread count, with an API token',
		optional: true,
		auth: 'bearer',
		http: (_ds, cookie) => ({ method: 'GET', cookie, path: () => '/api/messages/unread-count' })
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

export const SEARCH_LIMIT = 20;

/** A search of all the busy provider's conversations, first page, by relevance. */
function searchScenario(key: string, what: string, q: string, limit = SEARCH_LIMIT): Scenario {
	return {
		key,
		name: `Search, ${what} (${q})`,
		optional: true,
		http: (_ds, cookie) => ({
			method: 'GET',
			cookie,
			path: () => `/api/messages/search?q=${encodeURIComponent(q)}&limit=${limit}`
		}),
		direct: (ds, db) => () => searchMessages(db, ds.busyProviderId, { q, limit })
	};
}

/** The words are in the data set (SEARCH_WORDS): how often each occurs is written there. */
export const searchScenarios: Scenario[] = [
	searchScenario('search-rare', 'a rare word', SEARCH_WORDS.rare),
	searchScenario('search-common', 'a word in 10% of messages', SEARCH_WORDS.common),
	searchScenario('search-phrase', 'a two-word phrase', `"${SEARCH_WORDS.phrase}"`),
	searchScenario('search-prefix', 'a word and a prefix, as typed', SEARCH_WORDS.prefix),
	// A page of a few hits in a few conversations: what the box asks at every pause in typing.
	searchScenario(
		'search-box',
		`the inbox's box, ${SEARCH_BOX_LIMIT} results of a rare word`,
		SEARCH_WORDS.rare,
		SEARCH_BOX_LIMIT
	),
	// The box again, as the first word of most questions is typed.
	searchScenario(
		'search-everywhere',
		`the inbox's box, ${SEARCH_BOX_LIMIT} results of a word in almost every message`,
		SEARCH_WORDS.everywhere,
		SEARCH_BOX_LIMIT
	)
];

/** Rotates over a list, so that concurrent requests rarely share a thread. */
function rotate<T>(items: T[]): () => T {
	let i = 0;
	return () => items[i++ % items.length]!;
}

const busyContractIds = (ds: Dataset) =>
	ds.busyContracts.map((c) => c.contractId).filter((id) => id !== ds.requestedContractId);

// Contact details (a phone number and an email), so the masker has work in send-masked.
const CONTACT_BODY = 'Is the drill free on Saturday? Call me on 07700 900123 or jo@example.com';

export const sendScenarios: Scenario[] = [
	{
		key: 'send-hot',
		name: 'Send a message, all into one thread',
		writes: true,
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
		writes: true,
		http: (ds, cookie) => {
			const next = rotate(busyContractIds(ds));
			return {
				method: 'POST',
				cookie,
				body: JSON.stringify({ body: BODY }),
				path: () => `/api/contracts/${next()}/messages`
			};
		},
		direct: (ds, db) => {
			const next = rotate(busyContractIds(ds));
			return () => sendMessage(db, ds.busyProviderId, next(), BODY);
		}
	},
	{
		// Beside send-hot: the same send where CONTACT_MASKING applies (a requested rental), so the
		// write asks for the masked text and posts again.
		key: 'send-masked',
		name: 'Send contact details into a requested rental (masked)',
		writes: true,
		http: (ds, cookie) => ({
			method: 'POST',
			cookie,
			body: JSON.stringify({ body: CONTACT_BODY }),
			path: () => `/api/contracts/${ds.requestedContractId}/messages`
		}),
		direct: (ds, db) => () =>
			sendMessage(db, ds.busyProviderId, ds.requestedContractId, CONTACT_BODY)
	}
];

const COUNTERPART_BODY = 'New message for the read test.';

/** The requester of each of the first `count` busy threads writes one message; their ids. */
async function counterpartSends(side: SideContext, count: number): Promise<string[]> {
	const contracts = side.dataset.busyContracts.slice(0, count);
	const answers = await requestAll(
		side.baseUrl,
		contracts.map((c, i): PlainRequest => ({
			method: 'POST',
			path: `/api/contracts/${c.contractId}/messages`,
			cookie: side.counterpartCookies[i]!,
			body: JSON.stringify({ body: COUNTERPART_BODY })
		})),
		side.concurrency
	);
	return answers.map((a) => (a as { id: string }).id);
}

/** The busy provider writes one message into each of the first `count` busy threads; their ids. */
async function ownSends(side: SideContext, count: number): Promise<string[]> {
	const answers = await requestAll(
		side.baseUrl,
		side.dataset.busyContracts.slice(0, count).map((c): PlainRequest => ({
			method: 'POST',
			path: `/api/contracts/${c.contractId}/messages`,
			cookie: side.cookie,
			body: JSON.stringify({ body: BODY })
		})),
		side.concurrency
	);
	return answers.map((a) => (a as { id: string }).id);
}

/**
 * Each request marks one thread read in which the counterpart has just written: mark-read does
 * real work only once per thread, so each run first has the counterpart of PREPARED_THREADS
 * threads write one message, then marks each of those threads read exactly once.
 */
export const markReadScenario: Scenario = {
	key: 'mark-read',
	name: 'Mark a thread read (one new message each)',
	writes: true,
	passes: 1,
	prepare: async (side, count) => {
		await counterpartSends(side, count);
		return busyContractIds(side.dataset).slice(0, count);
	},
	http: (_ds, cookie, work) => {
		const next = rotate(work);
		return { method: 'PUT', cookie, path: () => `/api/contracts/${next()}/thread/read` };
	},
	prepareDirect: (ds, db) => (n) => {
		const contract = ds.busyContracts[n % ds.busyContracts.length]!;
		return sendMessage(db, contract.requesterId, contract.contractId, COUNTERPART_BODY);
	},
	direct: (ds, db) => {
		const next = rotate(busyContractIds(ds));
		return () => markThreadRead(db, ds.busyProviderId, next());
	}
};

/** Only the sender may edit or delete, soon after sending: each run sends its own first. */
export const editScenarios: Scenario[] = [
	{
		key: 'edit',
		name: 'Edit a message (own, just sent; each twice)',
		writes: true,
		optional: true,
		passes: 2,
		prepare: ownSends,
		http: (_ds, cookie, work) => {
			const next = rotate(work);
			let n = 0;
			return {
				method: 'PATCH',
				cookie,
				body: () => JSON.stringify({ body: `${BODY} (edited, ${++n})` }),
				path: () => `/api/messages/${next()}`
			};
		}
	},
	{
		key: 'delete',
		name: 'Delete a message (own, just sent; each once)',
		writes: true,
		optional: true,
		passes: 1,
		prepare: ownSends,
		http: (_ds, cookie, work) => {
			const next = rotate(work);
			return { method: 'DELETE', cookie, path: () => `/api/messages/${next()}` };
		}
	},
	{
		key: 'mark-unread',
		name: "Mark the counterpart's new message unread (thread read first)",
		writes: true,
		optional: true,
		passes: 1,
		// The counterpart writes one message per thread, the busy provider reads the thread, then
		// each request moves the watermark back before that message.
		prepare: async (side, count) => {
			const ids = await counterpartSends(side, count);
			await requestAll(
				side.baseUrl,
				busyContractIds(side.dataset)
					.slice(0, count)
					.map((id): PlainRequest => ({
						method: 'PUT',
						path: `/api/contracts/${id}/thread/read`,
						cookie: side.cookie
					})),
				side.concurrency
			);
			return ids;
		},
		http: (_ds, cookie, work) => {
			const next = rotate(work);
			return { method: 'PUT', cookie, path: () => `/api/messages/${next()}/unread` };
		}
	}
];
