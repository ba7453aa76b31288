import { eq, sql, type SQL } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { searchResultsSchema, type SearchResults } from '../src/lib/schemas/search';
import { rentOffering } from '../src/lib/server/contracts';
import { rowsOf, type Db } from '../src/lib/server/db';
import {
	attachments,
	messageEdits,
	messages,
	messageThreads,
	users
} from '../src/lib/server/db/schema';
import { getSearch } from '../src/lib/server/http/search-api';
import {
	appendMessage,
	deleteMessage,
	editMessage,
	EmptySearchError,
	InvalidCursorError,
	listMessages,
	listMessagesAfter,
	listMessagesAround,
	NAME_CANDIDATES,
	NAME_WINDOW,
	READ_THREAD_MESSAGES,
	THREAD_MATCHES,
	markThreadRead,
	searchMessages,
	type SearchOptions
} from '../src/lib/server/messaging';
import { partyKey } from '../src/lib/server/messaging/search-scope';
import { createOffering } from '../src/lib/server/offerings';
import { useTestDatabase } from './helpers/db';
import { apiEvent, makeUser, makeWorld } from './helpers/fixtures';
import { send } from './helpers/messaging';

const t = useTestDatabase();

const search = (db: Db, viewerId: string, q: string, options: Partial<SearchOptions> = {}) =>
	searchMessages(db, viewerId, { q, limit: 50, ...options });

/** The bodies of the matching messages, in result order. */
async function bodies(viewerId: string, q: string, options: Partial<SearchOptions> = {}) {
	const results = await search(t.db, viewerId, q, options);
	return results!.messages.map((m) => m.message.body);
}

/** Every page of a search, followed through its cursors: the ids in the order returned. */
async function allPages(viewerId: string, options: Omit<SearchOptions, 'cursor'>) {
	const seen: string[] = [];
	let cursor: string | undefined;
	do {
		const page = await searchMessages(t.db, viewerId, { ...options, cursor });
		seen.push(...page!.messages.map((m) => m.message.id));
		cursor = page!.nextCursor ?? undefined;
	} while (cursor);
	return seen;
}

/** A contract's messages that match, before a date, in one ORDER BY over all of them. */
async function rankedInSql(contractId: string, match: string, rank: SQL, before: Date) {
	return rowsOf<{ id: string }>(
		await t.db.execute(sql`
			select id from messages
			where thread_id = (select id from message_threads where contract_id = ${contractId})
				and search @@ ${match}::tsquery and created_at < ${before.toISOString()}::timestamptz
			order by ${rank} desc, created_at desc, id desc`)
	).map((r) => r.id);
}

const ago = (days: number, minutes = 0) =>
	new Date(Date.now() - days * 86_400_000 - minutes * 60_000);

/**
 * Sends each body on days spread over the rings of search.ts (this week, then 1, 2-3, 4-7 and
 * 8-15 weeks back) and beyond, its number of minutes back: two at the same moment at times, where
 * the id breaks the tie.
 */
async function sendOverTheRings(
	requesterId: string,
	contractId: string,
	bodies: [string, number][]
) {
	for (const days of [0, 3, 9, 20, 45, 100, 250, 430, 800]) {
		for (const [body, minutes] of bodies) {
			await send(t.db, requesterId, contractId, `${body} ${days}`, { at: ago(days, minutes) });
		}
	}
}

/** A search inside the contract's conversation then looks it up in the index. */
async function countAsLong(contractId: string) {
	await t.db
		.update(messageThreads)
		.set({ messageCount: READ_THREAD_MESSAGES + 1 })
		.where(eq(messageThreads.contractId, contractId));
}

async function contractBetween(db: Db, providerId: string, requesterId: string, title: string) {
	const offering = await createOffering(db, providerId, {
		name: title,
		description: 'For the search tests.',
		monthlyPrice: 1000
	});
	return (await rentOffering(db, requesterId, offering.id))!;
}

describe('search: who sees what', () => {
	it('finds only messages of conversations the user is a party to, whatever the query', async () => {
		const { provider, requester, stranger, contract } = await makeWorld(t.db);
		const otherRenter = await makeUser(t.db, 'Other Renter');
		const elsewhere = await makeUser(t.db, 'Elsewhere');
		const other = await contractBetween(t.db, provider.id, otherRenter.id, 'Cargo bike');
		const strangers = await contractBetween(t.db, elsewhere.id, stranger.id, 'Garage');

		await send(t.db, requester.id, contract.id, 'The door code is 4711');
		await send(t.db, provider.id, contract.id, 'Thanks, the door code works');
		await send(t.db, otherRenter.id, other.id, 'What is the door code for the bike shed?');
		await send(t.db, stranger.id, strangers.id, 'The door code is 0000, door code again');
		await send(t.db, elsewhere.id, strangers.id, 'Got the door code, thanks');

		const queries = ['door', 'door co', '"door code"', 'door or garage', 'code -bike', 'd', 'the'];
		for (const q of queries) {
			const mine = await search(t.db, requester.id, q);
			for (const hit of mine!.messages) {
				expect(hit.message.contractId, q).toBe(contract.id);
				expect(hit.thread.contractId, q).toBe(contract.id);
			}
			for (const thread of mine!.threads) expect(thread.contractId, q).toBe(contract.id);
			const theirs = await search(t.db, stranger.id, q);
			for (const hit of theirs!.messages) expect(hit.message.contractId, q).toBe(strangers.id);
		}
		expect((await search(t.db, requester.id, 'door'))!.messages).toHaveLength(2);
		expect((await search(t.db, provider.id, 'door'))!.messages).toHaveLength(3);
		// One conversation of the provider's, and nobody else's conversation by id.
		const one = await search(t.db, provider.id, 'door', { contractId: other.id });
		expect(one!.messages.map((m) => m.message.body)).toEqual([
			'What is the door code for the bike shed?'
		]);
		expect(await search(t.db, requester.id, 'door', { contractId: strangers.id })).toBeNull();
		expect(await search(t.db, stranger.id, 'door', { contractId: contract.id })).toBeNull();
	});

	it('keeps apart two people whose ids end alike (the index keys words by the end of an id)', async () => {
		const { provider, requester, contract } = await makeWorld(t.db);
		const [twin] = await t.db
			.insert(users)
			.values({
				id: `00000000-0000-4000-8000-${requester.id.slice(-12)}`,
				email: `twin-${Date.now()}@example.test`,
				displayName: 'Twin',
				passwordHash: 'not a hash',
				emailConfirmedAt: new Date()
			})
			.returning();
		const twins = await contractBetween(t.db, provider.id, twin!.id, 'Ladder');
		await send(t.db, requester.id, contract.id, 'The door code is 4711');
		await send(t.db, twin!.id, twins.id, 'The twin door code is 1234');
		await send(t.db, provider.id, twins.id, 'Twin, your door code works?');

		for (const q of ['door', '"door code"', 'door co', 'twin or door', 'door -twin']) {
			for (const hit of (await search(t.db, requester.id, q))!.messages) {
				expect(hit.message.contractId, q).toBe(contract.id);
			}
			for (const hit of (await search(t.db, twin!.id, q))!.messages) {
				expect(hit.message.contractId, q).toBe(twins.id);
			}
		}
		expect(await bodies(requester.id, 'door')).toEqual(['The door code is 4711']);
		// The twin's messages are newer: a page of one would be theirs if the index's find reached it.
		const one = await search(t.db, requester.id, 'door', { limit: 1 });
		expect(one!.messages.map((m) => m.message.body)).toEqual(['The door code is 4711']);
		expect(one!.nextCursor).toBeNull();
		expect((await bodies(twin!.id, 'door')).sort()).toEqual([
			'The twin door code is 1234',
			'Twin, your door code works?'
		]);
	});

	it('stamps every new message with its contract’s parties, in the insert itself', async () => {
		const { provider, requester, contract } = await makeWorld(t.db);
		const sent = await t.db.transaction(async (tx) => {
			const message = await send(tx, requester.id, contract.id, 'findable at once');
			// Same transaction: the index is part of the send.
			const found = await search(tx, provider.id, 'findable');
			expect(found!.messages.map((m) => m.message.id)).toEqual([message!.id]);
			return message!;
		});
		const [row] = await t.db
			.select({ partyIds: messages.partyIds })
			.from(messages)
			.where(eq(messages.id, sent.id));
		expect(row!.partyIds.sort()).toEqual([provider.id, requester.id].sort());
	});

	it('leaves system messages out unless asked', async () => {
		const { provider, requester, contract } = await makeWorld(t.db);
		await send(t.db, requester.id, contract.id, 'Rental accepted? I hope so');
		await appendMessage(t.db, { kind: 'system' }, contract.id, { body: 'Rental accepted.' });
		expect(await bodies(provider.id, 'accepted')).toEqual(['Rental accepted? I hope so']);
		expect((await bodies(provider.id, 'accepted', { includeSystem: true })).sort()).toEqual([
			'Rental accepted.',
			'Rental accepted? I hope so'
		]);
		// Under their own keys in the index (`<key>!`): every kind of lookup finds them when asked,
		// and only then.
		await appendMessage(t.db, { kind: 'system' }, contract.id, {
			body: 'Dates changed, changed again.'
		});
		await send(t.db, provider.id, contract.id, 'The dates changed');
		for (const [q, system] of [
			['changed', 'Dates changed, changed again.'],
			['"rental accepted"', 'Rental accepted.'],
			['rental acc', 'Rental accepted.'],
			['accepted -hope', 'Rental accepted.']
		] as const) {
			const people = await bodies(provider.id, q);
			expect(people).not.toContain(system);
			expect(await bodies(provider.id, q, { includeSystem: true })).toEqual(
				expect.arrayContaining([system, ...people])
			);
			expect(await bodies(provider.id, q, { includeSystem: true, sort: 'recent' })).toContain(
				system
			);
		}
		const [terms] = rowsOf<{ user: boolean; system: boolean }>(
			await t.db.execute(sql`
				select bool_or(search_scoped_terms(party_ids, search, created_at, sender_role)
						@@ ${`'${partyKey(provider.id)}_rental'`}::tsquery) filter (where sender_role = 'user') as user,
					bool_or(search_scoped_terms(party_ids, search, created_at, sender_role)
						@@ ${`'${partyKey(provider.id)}!_rental'`}::tsquery) filter (where sender_role = 'system') as system
				from messages where thread_id = (select id from message_threads where contract_id = ${contract.id}::uuid)`)
		);
		expect(terms).toEqual({ user: true, system: true });
	});

	it('filters by sender and by date', async () => {
		const { provider, requester, contract } = await makeWorld(t.db);
		const at = (day: string) => ({ at: new Date(`2026-03-${day}T12:00:00Z`) });
		await send(t.db, requester.id, contract.id, 'key under the mat', at('01'));
		await send(t.db, provider.id, contract.id, 'which key?', at('10'));
		await appendMessage(
			t.db,
			{ kind: 'assistant', agentId: 'helper', actingFor: provider.id },
			contract.id,
			{ body: 'The key is in the box', ...at('20') }
		);
		expect((await bodies(provider.id, 'key', { from: 'me' })).sort()).toEqual([
			'The key is in the box',
			'which key?'
		]);
		expect(await bodies(provider.id, 'key', { from: 'them' })).toEqual(['key under the mat']);
		expect(await bodies(requester.id, 'key', { from: 'them', sort: 'recent' })).toEqual([
			'The key is in the box',
			'which key?'
		]);
		const after = new Date('2026-03-05T00:00:00Z');
		const before = new Date('2026-03-15T00:00:00Z');
		expect(await bodies(provider.id, 'key', { after, before })).toEqual(['which key?']);
	});

	it('filters to messages with attachments', async () => {
		const { provider, requester, contract } = await makeWorld(t.db);
		const [file] = await t.db
			.insert(attachments)
			.values({
				contractId: contract.id,
				uploaderId: requester.id,
				filename: 'meter.jpg',
				contentType: 'image/jpeg',
				size: 1234,
				storageKey: `test/${contract.id}/meter`
			})
			.returning();
		await send(t.db, requester.id, contract.id, 'the meter reading, photo attached', {
			attachmentIds: [file!.id]
		});
		await send(t.db, requester.id, contract.id, 'the meter reading is 4711');
		await send(t.db, provider.id, contract.id, 'thanks for the meter reading');
		expect(await bodies(provider.id, 'meter', { hasAttachments: true })).toEqual([
			'the meter reading, photo attached'
		]);
		expect(await bodies(provider.id, 'meter')).toHaveLength(3);
		expect(await bodies(provider.id, 'meter', { hasAttachments: true, from: 'me' })).toEqual([]);
	});
});

describe('search: query syntax', () => {
	async function world(lines: string[]) {
		const { provider, requester, contract } = await makeWorld(t.db);
		for (const line of lines) await send(t.db, requester.id, contract.id, line);
		return provider.id;
	}

	it('matches all words, exact phrases, -negations and or', async () => {
		const viewer = await world([
			'the door code is 4711',
			'code for the front door',
			'the garage door is open',
			'a gate code'
		]);
		expect((await bodies(viewer, 'door code')).sort()).toEqual([
			'code for the front door',
			'the door code is 4711'
		]);
		expect(await bodies(viewer, '"door code"')).toEqual(['the door code is 4711']);
		expect((await bodies(viewer, 'door -garage')).sort()).toEqual([
			'code for the front door',
			'the door code is 4711'
		]);
		expect((await bodies(viewer, 'gate or garage')).sort()).toEqual([
			'a gate code',
			'the garage door is open'
		]);
	});

	it('matches the last word as a prefix while typing', async () => {
		const viewer = await world([
			'the door code is 4711',
			'we met in Zanzibar',
			'a door, closed',
			'the garage is open'
		]);
		expect(await bodies(viewer, 'door co')).toEqual(['the door code is 4711']);
		expect(await bodies(viewer, 'zanz')).toEqual(['we met in Zanzibar']);
		expect((await bodies(viewer, 'zanzibar or gar')).sort()).toEqual([
			'the garage is open',
			'we met in Zanzibar'
		]);
		// Two letters are a prefix only beside other words: alone they are a word.
		expect(await bodies(viewer, 'ga')).toEqual([]);
		expect(await bodies(viewer, 'zanzibar or ga')).toEqual(['we met in Zanzibar']);
		expect(await bodies(viewer, 'door cod')).toEqual(['the door code is 4711']);
		// One letter is a prefix beside other words too (nothing flickers to "no results" while
		// typing), and alone a word, not every word that starts with it.
		expect((await bodies(viewer, 'door c')).sort()).toEqual([
			'a door, closed',
			'the door code is 4711'
		]);
		expect(await bodies(viewer, '"door c')).toEqual(
			['a door, closed', 'the door code is 4711'].sort()
		);
		expect(await bodies(viewer, 'g')).toEqual([]);
		// A closed phrase is exact; one still being typed ends in a prefix, in its place.
		expect(await bodies(viewer, '"door co"')).toEqual([]);
		expect(await bodies(viewer, '"door co')).toEqual(['the door code is 4711']);
		expect(await bodies(viewer, '"door cod')).toEqual(['the door code is 4711']);
		expect(await bodies(viewer, '"code co')).toEqual([]);
		expect(await bodies(viewer, '"zanz')).toEqual(['we met in Zanzibar']);
	});

	it('refuses queries that ask for nothing', async () => {
		const viewer = await world(['anything']);
		for (const q of ['-door', '""', 'or', '!!!', '- -', '-"door code"']) {
			await expect(search(t.db, viewer, q), q).rejects.toBeInstanceOf(EmptySearchError);
		}
	});
});

describe('search: any language', () => {
	it('ignores accents and case', async () => {
		const { provider, requester, contract } = await makeWorld(t.db);
		await send(t.db, requester.id, contract.id, 'Un café au lait à İstanbul, près de la Straße');
		await send(t.db, requester.id, contract.id, 'CAFE NOIR');
		for (const q of ['cafe', 'Café', 'CAFÉ']) {
			expect((await bodies(provider.id, q)).length, q).toBe(2);
		}
		expect(await bodies(provider.id, 'istanbul')).toHaveLength(1);
		expect(await bodies(provider.id, 'İSTANBUL')).toHaveLength(1);
		expect(await bodies(provider.id, 'pres')).toHaveLength(1);
		expect(await bodies(provider.id, 'strasse')).toHaveLength(1);
	});

	it('finds German, French, Spanish, Turkish, Greek, Russian, Arabic and Japanese words', async () => {
		const { provider, requester, contract } = await makeWorld(t.db);
		const lines = {
			de: 'Der Schlüssel liegt unter der Fußmatte',
			fr: 'La clé est sous le paillasson près de la fenêtre',
			es: 'La llave está debajo del felpudo, señor',
			tr: 'Anahtar paspasın altında, Çağlar Bey',
			el: 'Το κλειδί είναι κάτω από το χαλάκι',
			ru: 'Ключ под ковриком у двери',
			ar: 'المفتاح تحت السجادة عند الباب',
			ja: '鍵は 玄関マット の下です'
		};
		for (const line of Object.values(lines)) await send(t.db, requester.id, contract.id, line);
		const cases: [string, string][] = [
			['schlussel', lines.de],
			['FUSSMATTE', lines.de],
			['cle fenetre', lines.fr],
			['"la cle est"', lines.fr],
			['esta senor', lines.es],
			['paspasin caglar', lines.tr],
			['κλειδι', lines.el],
			['ΚΛΕΙΔΊ', lines.el],
			['ключ', lines.ru],
			['ковриком', lines.ru],
			['المفتاح', lines.ar],
			['السجادة الباب', lines.ar],
			['玄関マット', lines.ja],
			['玄関', lines.ja]
		];
		for (const [q, expected] of cases) {
			expect(await bodies(provider.id, q), q).toEqual([expected]);
		}
	});
});

describe('search: edits and deletes', () => {
	it('finds the current text only, and nothing of a deleted message', async () => {
		const { provider, requester, contract } = await makeWorld(t.db);
		const typo = await send(t.db, requester.id, contract.id, 'the wifi pasword is hunter2');
		await editMessage(t.db, requester.id, typo!.id, 'the wifi password is swordfish');
		expect(await bodies(provider.id, 'hunter2')).toEqual([]);
		expect(await bodies(provider.id, 'swordfish')).toEqual(['the wifi password is swordfish']);

		const oops = await send(t.db, requester.id, contract.id, 'my bank pin is 1234');
		await editMessage(t.db, requester.id, oops!.id, 'my bank pin is 5678');
		await deleteMessage(t.db, requester.id, oops!.id);
		for (const q of ['bank', 'pin', '1234', '5678']) {
			expect(await bodies(provider.id, q), q).toEqual([]);
			expect(await bodies(requester.id, q), q).toEqual([]);
		}
		// Edit history is never searched either (and a delete erases it).
		expect(await t.db.select().from(messageEdits)).toHaveLength(1);
		expect(await bodies(provider.id, 'pasword')).toEqual([]);
	});
});

describe('search: results', () => {
	it('highlights matches as plain text with ranges, whatever the text looks like', async () => {
		const { provider, requester, contract } = await makeWorld(t.db);
		const body = `<script>alert("door")</script> and <mark>door</mark> & <b>bold</b> &amp; <!-- x -->`;
		await send(t.db, requester.id, contract.id, body);
		const [hit] = (await search(t.db, provider.id, 'door'))!.messages;
		expect(hit!.message.body).toBe(body);
		expect(hit!.highlights.text).toBe(body);
		expect(hit!.highlights.ranges.map((r) => hit!.highlights.text.slice(r.start, r.end))).toEqual([
			'door',
			'door'
		]);
		// No marker character of ours reaches the client.
		// eslint-disable-next-line no-control-regex
		expect(hit!.highlights.text).not.toMatch(/[\u0001-\u0004]/);
	});

	it('shows the matching part of a long message', async () => {
		const { provider, requester, contract } = await makeWorld(t.db);
		const filler = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
		await send(t.db, requester.id, contract.id, `${filler} the door code is 4711 ${filler}`);
		const [hit] = (await search(t.db, provider.id, 'door code'))!.messages;
		const { text, ranges } = hit!.highlights;
		expect(text.length).toBeLessThan(400);
		expect(text.startsWith('…')).toBe(true);
		expect(text.endsWith('…')).toBe(true);
		expect(ranges.map((r) => text.slice(r.start, r.end))).toEqual(['door', 'code']);
	});

	it('carries the Message and Thread JSON of every other endpoint', async () => {
		const { provider, requester, contract } = await makeWorld(t.db);
		await send(t.db, requester.id, contract.id, 'is the drill charged?');
		const results = await search(t.db, provider.id, 'drill');
		expect(searchResultsSchema.parse(results)).toEqual(results);
		const [hit] = results!.messages;
		expect(hit!.message).toMatchObject({ isOwn: false, isRead: false, senderId: requester.id });
		expect(hit!.thread).toMatchObject({ contractId: contract.id, unreadCount: 1 });
		expect(hit!.thread.counterpart.id).toBe(requester.id);
	});

	it('shows each message as the conversation does, with the other party’s receipt', async () => {
		const { provider, requester, contract } = await makeWorld(t.db);
		const olga = await makeUser(t.db, 'Olga');
		const tent = await contractBetween(t.db, provider.id, olga.id, 'Tent');
		await send(t.db, requester.id, contract.id, 'is the ladder here?');
		await send(t.db, provider.id, contract.id, 'the ladder is in the shed');
		await send(t.db, provider.id, tent.id, 'no ladder in this one');
		await markThreadRead(t.db, requester.id, contract.id);

		const results = await search(t.db, provider.id, 'ladder');
		const inConversation = [
			...(await listMessages(t.db, provider.id, contract.id, { limit: 10 }))!.messages,
			...(await listMessages(t.db, provider.id, tent.id, { limit: 10 }))!.messages
		];
		expect(results!.messages).toHaveLength(3);
		for (const { message } of results!.messages) {
			expect(message).toEqual(inConversation.find((m) => m.id === message.id));
		}
		const seenAt = (body: string) =>
			results!.messages.find((hit) => hit.message.body === body)!.message.readByCounterpartAt;
		expect(seenAt('the ladder is in the shed')).not.toBeNull();
		expect(seenAt('no ladder in this one')).toBeNull();

		// The other side's receipt is the provider's when the requester searches.
		const theirs = (await listMessages(t.db, requester.id, contract.id, { limit: 10 }))!.messages;
		const after = await search(t.db, requester.id, 'ladder');
		expect(after!.messages).toHaveLength(2);
		for (const { message } of after!.messages) {
			expect(message).toEqual(theirs.find((m) => m.id === message.id));
		}
		expect(
			after!.messages.find((hit) => hit.message.body === 'is the ladder here?')!.message
				.readByCounterpartAt
		).not.toBeNull();
	});

	it('pages by relevance, then recency, and by recency alone, without skipping or repeating', async () => {
		const { provider, requester, contract } = await makeWorld(t.db);
		const same = new Date('2026-02-01T10:00:00Z');
		const sent: string[] = [];
		for (let i = 0; i < 23; i++) {
			// Some mention the word twice (more relevant); several share a timestamp (ties by id).
			const body = i % 4 === 0 ? `invoice ${i}, the invoice again` : `invoice number ${i}`;
			const at = i % 3 === 0 ? same : new Date(Date.UTC(2026, 1, 1, 11, i));
			sent.push((await send(t.db, requester.id, contract.id, body, { at }))!.id);
		}
		for (const sort of ['relevance', 'recent'] as const) {
			const seen: SearchResults['messages'] = [];
			let cursor: string | undefined;
			let pages = 0;
			do {
				const page = await searchMessages(t.db, provider.id, {
					q: 'invoice',
					sort,
					cursor,
					limit: 5
				});
				seen.push(...page!.messages);
				cursor = page!.nextCursor ?? undefined;
				pages++;
			} while (cursor);
			expect(pages, sort).toBe(5);
			const ids = seen.map((m) => m.message.id);
			expect(new Set(ids).size, sort).toBe(ids.length);
			expect([...ids].sort(), sort).toEqual([...sent].sort());
			const times = seen.map((m) => m.message.createdAt);
			if (sort === 'recent') {
				expect(times, sort).toEqual([...times].sort().reverse());
			} else {
				// The messages that say "invoice" twice come first; among equals, the newer first.
				expect(seen.slice(0, 6).every((m) => m.message.body.includes('again'))).toBe(true);
				const equals = seen.slice(6).map((m) => m.message.createdAt);
				expect(equals).toEqual([...equals].sort().reverse());
			}
		}
		const first = await searchMessages(t.db, provider.id, { q: 'invoice', limit: 5 });
		await expect(
			searchMessages(t.db, provider.id, { q: 'invoices', limit: 5, cursor: first!.nextCursor! })
		).rejects.toBeInstanceOf(InvalidCursorError);
	});

	it('ranks several words side by side as typed above the others, the newest first among equals', async () => {
		const { provider, requester, contract } = await makeWorld(t.db);
		const at = (minute: number) => new Date(Date.UTC(2026, 2, 1, 9, minute));
		// Sent in an order that is none of the expected ones: recency alone would not pass.
		const bodies: [minute: number, body: string][] = [
			[1, 'door left open, and a long way later in this message is the code'],
			[2, 'the door code is 1234'],
			[3, 'door code, and again: door code'],
			[4, 'the code for the front door'],
			[5, 'the door code is 5678']
		];
		const ids = new Map<string, string>();
		for (const [minute, body] of bodies) {
			ids.set(body, (await send(t.db, requester.id, contract.id, body, { at: at(minute) }))!.id);
		}
		const inOrder = (minutes: number[]) => minutes.map((m) => ids.get(bodies[m - 1]![1])!);
		const expected: [q: string, minutes: number[]][] = [
			// Side by side as typed, the newest first (twice is no more than once); then the others,
			// the newest first.
			['door code', [5, 3, 2, 4, 1]],
			['door co', [5, 3, 2, 4, 1]],
			// Never side by side in that order: the newest first.
			['code door', [5, 4, 3, 2, 1]]
		];
		for (const [q, minutes] of expected) {
			const page = await searchMessages(t.db, provider.id, { q, limit: 10 });
			expect(
				page!.messages.map((m) => m.message.id),
				q
			).toEqual(inOrder(minutes));
		}
	});

	it('ranks one word a few weeks at a time, in the order of ranking all its matches, also in one conversation', async () => {
		const { provider, requester, contract } = await makeWorld(t.db);
		// Longer words that start with it count once, however many; three times counts as two.
		const bodies: [string, number][] = [
			['invoice', 0],
			['the invoice, invoice again', 1],
			['invoices', 0],
			['invoiced?', 1],
			['invoices, invoiced', 0],
			['nothing', 1],
			['invoice: invoice, invoice', 2]
		];
		await sendOverTheRings(requester.id, contract.id, bodies);
		// Also inside one conversation: read whole, or through the index when it is long.
		const all = (q: string, limit: number, contractId?: string, before?: Date) =>
			allPages(provider.id, { q, limit, contractId, before });
		const ranked = (match: string, words: string, before = ago(-1)) =>
			rankedInSql(
				contract.id,
				match,
				sql`least(greatest(ts_rank_cd(search, ${words}::tsquery), 0.1), 0.2)`,
				before
			);

		// The word being typed: twice or more first, then once or as the start of a longer word,
		// newest first.
		const typed = await ranked(`'invoice':*`, `'invoice'`);
		expect(typed).toHaveLength(9 * 6);
		// A whole word: twice or more, then once.
		const whole = await ranked(`'invoice'`, `'invoice'`);
		expect(whole).toHaveLength(9 * 3);
		// Everywhere, in a conversation read whole, and in one that counts as long (the index).
		for (const scope of ['all', 'conversation', 'long conversation']) {
			const contractId = scope === 'all' ? undefined : contract.id;
			if (scope === 'long conversation') await countAsLong(contract.id);
			for (const limit of [1, 4, 7, 50])
				expect(await all('invoice', limit, contractId), `${limit} ${scope}`).toEqual(typed);
			for (const limit of [3, 50])
				expect(await all('"invoice"', limit, contractId), `${limit} ${scope}`).toEqual(whole);
			const without = await search(t.db, provider.id, '-again invoice', { contractId });
			expect(without!.messages, scope).toHaveLength(9 * 5);
		}
		// Before a date: the rings start there, so its weeks come first.
		for (const days of [2, 30, 300]) {
			const before = ago(days);
			const expected = await ranked(`'invoice':*`, `'invoice'`, before);
			for (const limit of [1, 7, 50])
				expect(await all('invoice', limit, undefined, before), `${limit} ${days}`).toEqual(
					expected
				);
		}
		// The first page: the newest message that says it twice or more (three times is no more
		// than twice), then the newest that says it once.
		const [first] = (await search(t.db, provider.id, 'invoice', { limit: 2 }))!.messages.map(
			(m) => m.message.body
		);
		expect(first).toBe('the invoice, invoice again 0');
	});

	it('ranks several words a few weeks at a time, in the order of ranking all their matches, also in one conversation', async () => {
		const { provider, requester, contract } = await makeWorld(t.db);
		// Side by side as typed or not, the word being typed whole or the start of a longer one.
		const bodies: [string, number][] = [
			['the door code', 0],
			['door, then the code', 1],
			['a door coded, then a door coded again', 0],
			['code door', 1],
			['the door is open', 0],
			['door: code door code', 2]
		];
		await sendOverTheRings(requester.id, contract.id, bodies);
		const ranked = (match: string, sideBySide: string, before = ago(-1)) =>
			rankedInSql(
				contract.id,
				match,
				sql`case when search @@ ${sideBySide}::tsquery then 0.2 else 0.1 end`,
				before
			);
		const typed = await ranked(`'door' & 'co':*`, `'door' <-> 'co':*`);
		expect(typed).toHaveLength(9 * 5);
		const whole = await ranked(`'door' & 'code'`, `'door' <-> 'code'`);
		expect(whole).toHaveLength(9 * 4);
		for (const scope of ['all', 'conversation', 'long conversation']) {
			const contractId = scope === 'all' ? undefined : contract.id;
			if (scope === 'long conversation') await countAsLong(contract.id);
			for (const limit of [1, 4, 7, 50]) {
				const options = { limit, contractId };
				expect(
					await allPages(provider.id, { q: 'door co', ...options }),
					`${limit} ${scope}`
				).toEqual(typed);
				expect(
					await allPages(provider.id, { q: 'door "code"', ...options }),
					`${limit} ${scope}`
				).toEqual(whole);
			}
		}
		// By recency alone, any query is read a few weeks at a time too.
		const newest = (match: string) => rankedInSql(contract.id, match, sql`0::real`, ago(-1));
		for (const [q, match] of [
			['door co', `'door' & 'co':*`],
			['"door code"', `'door' <-> 'code'`],
			['door or open', `'door' | 'open'`]
		]) {
			const expected = await newest(match!);
			for (const limit of [1, 7, 50])
				expect(
					await allPages(provider.id, { q: q!, limit, sort: 'recent' }),
					`${q} ${limit}`
				).toEqual(expected);
		}
		for (const days of [2, 30, 300]) {
			const before = ago(days);
			const expected = await ranked(`'door' & 'co':*`, `'door' <-> 'co':*`, before);
			for (const limit of [1, 7, 50])
				expect(
					await allPages(provider.id, { q: 'door co', limit, before }),
					`${limit} ${days}`
				).toEqual(expected);
		}
	});

	it('lists conversations whose counterpart or title match, above the messages', async () => {
		const provider = await makeUser(t.db, 'Paul Provider');
		const rita = await makeUser(t.db, 'Rita Rénter');
		const bob = await makeUser(t.db, 'Bob Builder');
		const cafe = await contractBetween(t.db, provider.id, rita.id, 'Café espresso machine');
		const drill = await contractBetween(t.db, provider.id, bob.id, 'Hammer drill');
		await send(t.db, rita.id, cafe.id, 'hello');
		await send(t.db, bob.id, drill.id, 'hello, the machine for Rita?');
		const ids = async (q: string) =>
			(await search(t.db, provider.id, q))!.threads.map((th) => th.contractId);
		expect(await ids('renter')).toEqual([cafe.id]);
		expect(await ids('rita')).toEqual([cafe.id]);
		expect(await ids('enter')).toEqual([cafe.id]);
		expect(await ids('cafe machine')).toEqual([cafe.id]);
		expect(await ids('rita espresso')).toEqual([cafe.id]);
		expect(await ids('machine -rita')).toEqual([]);
		expect((await ids('drill or espresso')).sort()).toEqual([cafe.id, drill.id].sort());
		expect(await ids('hello')).toEqual([]);
		// Nobody else's conversations, by name or title.
		expect((await search(t.db, rita.id, 'drill'))!.threads).toEqual([]);
		expect((await search(t.db, rita.id, 'bob'))!.threads).toEqual([]);
		// The same search finds the message that names Rita, below.
		expect((await search(t.db, provider.id, 'rita'))!.messages).toHaveLength(1);
	});

	it('finds conversations by a word in most of their titles, the newest first', async () => {
		const provider = await makeUser(t.db, 'Paul Provider');
		const renter = await makeUser(t.db, 'Rita Renter');
		// More candidates than the trigram path sorts: the search walks the threads newest first.
		const rentals: string[] = [];
		for (let i = 0; i < NAME_CANDIDATES + 3; i++) {
			const title = `Rental bike ${i}${i % 20 === 0 ? ' red' : ''}`;
			const contract = await contractBetween(t.db, provider.id, renter.id, title);
			await send(t.db, renter.id, contract.id, `hello ${i}`);
			rentals.push(contract.id);
		}
		const other = (await contractBetween(t.db, provider.id, renter.id, 'Kayak')).id;
		await send(t.db, renter.id, other, 'hello kayak');
		const ids = async (q: string) =>
			(await search(t.db, provider.id, q))!.threads.map((th) => th.contractId);
		const newest = rentals.slice(-THREAD_MATCHES).reverse();
		expect(await ids('rental')).toEqual(newest);
		expect(await ids('rental bike')).toEqual(newest);
		expect(await ids('rental -kayak')).toEqual(newest);
		expect(await ids('bike rent')).toEqual(newest);
		// Every thread names Rita: the newest of them, the kayak among them.
		const everyone = [other, ...rentals.slice(-THREAD_MATCHES + 1).reverse()];
		expect(await ids('rita')).toEqual(everyone);
		expect(await ids('rent')).toEqual(everyone);
		expect(await ids('kayak')).toEqual([other]);

		// The newest threads are read first: a word in enough of them is found there; one that is
		// not (the rentals, now behind NAME_WINDOW canoes) is still found in the others.
		const canoes: string[] = [];
		for (let i = 0; i < NAME_WINDOW; i++) {
			const title = `Canoe ${i}${i % 7 === 0 ? ' red' : ''}`;
			const contract = await contractBetween(t.db, provider.id, renter.id, title);
			await send(t.db, renter.id, contract.id, `paddle ${i}`);
			canoes.push(contract.id);
		}
		const newestCanoes = canoes.slice(-THREAD_MATCHES).reverse();
		expect(await ids('canoe')).toEqual(newestCanoes);
		expect(await ids('rita')).toEqual(newestCanoes);
		expect(await ids('rental')).toEqual(newest);
		expect(await ids('kayak')).toEqual([other]);
		// Fewer than five among the newest: the others are looked for too, newest first.
		const red = [
			...canoes.filter((_, i) => i % 7 === 0).reverse(),
			...rentals.filter((_, i) => i % 20 === 0).reverse()
		];
		expect(red.slice(0, THREAD_MATCHES - 1)).toContain(canoes[0]);
		expect(await ids('red')).toEqual(red.slice(0, THREAD_MATCHES));
	});
});

describe('a conversation opened at a message', () => {
	it('pages around it, then earlier and newer, without skipping or repeating', async () => {
		const { provider, requester, stranger, contract } = await makeWorld(t.db);
		const ids: string[] = [];
		for (let i = 1; i <= 120; i++) {
			const author = i % 2 ? requester.id : provider.id;
			ids.push((await send(t.db, author, contract.id, `m${i}`))!.id);
		}
		const texts = (page: { messages: { body: string }[] }) => page.messages.map((m) => m.body);
		const range = (from: number, to: number) =>
			Array.from({ length: to - from + 1 }, (_, i) => `m${from + i}`);

		const around = (await listMessagesAround(t.db, provider.id, contract.id, ids[29]!, {
			limit: 50
		}))!;
		expect(texts(around)).toEqual(range(6, 55));
		expect(around).toMatchObject({ nextCursor: '6', newerCursor: '55' });
		const newer = (await listMessagesAfter(t.db, provider.id, contract.id, {
			after: 55,
			limit: 50
		}))!;
		expect(texts(newer)).toEqual(range(56, 105));
		expect(newer).toMatchObject({ nextCursor: '56', newerCursor: '105' });
		const newest = (await listMessagesAfter(t.db, provider.id, contract.id, {
			after: 105,
			limit: 50
		}))!;
		expect(texts(newest)).toEqual(range(106, 120));
		expect(newest.newerCursor).toBeNull();
		const earlier = (await listMessages(t.db, provider.id, contract.id, { before: 6, limit: 50 }))!;
		expect(texts(earlier)).toEqual(range(1, 5));
		expect(earlier.nextCursor).toBeNull();

		const first = (await listMessagesAround(t.db, requester.id, contract.id, ids[0]!, {
			limit: 10
		}))!;
		expect(texts(first)).toEqual(range(1, 6));
		expect(first).toMatchObject({ nextCursor: null, newerCursor: '6' });
		const last = (await listMessagesAround(t.db, requester.id, contract.id, ids[119]!, {
			limit: 10
		}))!;
		expect(texts(last)).toEqual(range(116, 120));
		expect(last).toMatchObject({ nextCursor: '116', newerCursor: null });

		// Not a party, or a message of another conversation: nothing.
		expect(await listMessagesAround(t.db, stranger.id, contract.id, ids[5]!, { limit: 10 })).toBe(
			null
		);
		const elsewhere = await contractBetween(t.db, provider.id, stranger.id, 'Other');
		const theirs = await send(t.db, stranger.id, elsewhere.id, 'hello');
		expect(
			await listMessagesAround(t.db, provider.id, contract.id, theirs!.id, { limit: 10 })
		).toBeNull();
	});
});

describe('GET /api/messages/search', () => {
	const path = (query: string) => `/api/messages/search?${query}`;

	it('answers 401, 400 and 404 as the other endpoints do', async () => {
		const { provider, stranger, contract } = await makeWorld(t.db);
		expect((await getSearch(t.db, apiEvent(null, { path: path('q=door') }))).status).toBe(401);
		for (const query of [
			'',
			'q=',
			'q=%20%20',
			'q=-door',
			`q=${'a'.repeat(201)}`,
			'q=a&sort=x',
			'q=a&has=files'
		]) {
			const response = await getSearch(t.db, apiEvent(provider, { path: path(query) }));
			expect(response.status, query).toBe(400);
			const body = await response.json();
			expect(body.error.code, query).toBe('bad_request');
			expect(body.error.message, query).toMatch(/search|characters|sort|has/i);
		}
		const response = await getSearch(
			t.db,
			apiEvent(stranger, { path: path(`q=door&contractId=${contract.id}`) })
		);
		expect(response.status).toBe(404);
	});

	it('answers the results', async () => {
		const { provider, requester, contract } = await makeWorld(t.db);
		await send(t.db, requester.id, contract.id, 'the door code is 4711');
		const response = await getSearch(
			t.db,
			apiEvent(provider, { path: path('q=door%20co&from=them&after=2020-01-01') })
		);
		expect(response.status).toBe(200);
		const results = searchResultsSchema.parse(await response.json());
		expect(results.messages.map((m) => m.message.body)).toEqual(['the door code is 4711']);
		expect(results.nextCursor).toBeNull();
		const withFiles = await getSearch(
			t.db,
			apiEvent(provider, { path: path('q=door&has=attachments') })
		);
		expect(searchResultsSchema.parse(await withFiles.json()).messages).toEqual([]);
	});
});

describe('search: the migration', () => {
	it('indexes with the accent-folding configuration', async () => {
		const [row] = rowsOf<{ v: string }>(
			await t.db.execute(sql`select to_tsvector('parley_search', 'Çağlar Café')::text as v`)
		);
		expect(row!.v).toBe(`'cafe':2 'caglar':1`);
	});
});
