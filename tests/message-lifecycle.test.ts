import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rentOffering } from '../src/lib/server/contracts';
import { rowsOf } from '../src/lib/server/db';
import {
	emailQueue,
	liveEvents,
	messageEdits,
	messageIdempotencyKeys,
	messageNotifications,
	messageReadReceipts,
	messages
} from '../src/lib/server/db/schema';
import {
	appendMessage,
	ChangeWindowClosedError,
	deleteMessage,
	editMessage,
	getProviderResponseMetrics,
	getThreadForContract,
	getUnreadCount,
	IdempotencyKeyReusedError,
	listMessages,
	markMessageRead,
	markMessageUnread,
	markThreadRead,
	MessageDeletedError,
	NotYourMessageError,
	processDueNotifications
} from '../src/lib/server/messaging';
import { createOffering } from '../src/lib/server/offerings';
import { onPostgres, useTestDatabase } from './helpers/db';
import { makeUser, makeWorld } from './helpers/fixtures';
import { send } from './helpers/messaging';

const t = useTestDatabase();

const MINUTE = 60_000;
const ago = (ms: number) => new Date(Date.now() - ms);
const page = async (viewerId: string, contractId: string) =>
	(await listMessages(t.db, viewerId, contractId, { limit: 100 }))!.messages;
const liveKinds = async (messageId: string) =>
	(await t.db.select().from(liveEvents).where(eq(liveEvents.messageId, messageId))).map(
		(e) => e.kind
	);

describe('idempotent sends', () => {
	it('answers a retry with the first message and writes nothing', async () => {
		const { requester, contract } = await makeWorld(t.db);
		const author = { kind: 'user' as const, userId: requester.id };
		const first = await appendMessage(t.db, author, contract.id, {
			body: 'Is it free on Monday?',
			idempotencyKey: 'key-1'
		});
		const retry = await appendMessage(t.db, author, contract.id, {
			body: 'Is it free on Monday?',
			idempotencyKey: 'key-1'
		});
		expect(first!.replayed).toBe(false);
		expect(retry!.replayed).toBe(true);
		expect(retry!.message).toEqual(first!.message);
		expect(await t.db.select().from(messages)).toHaveLength(1);
		expect(await t.db.select().from(messageNotifications)).toHaveLength(1);
	});

	it('refuses the same key for another body or contract, and scopes keys per author', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		const author = { kind: 'user' as const, userId: requester.id };
		await appendMessage(t.db, author, contract.id, { body: 'one', idempotencyKey: 'k' });
		await expect(
			appendMessage(t.db, author, contract.id, { body: 'two', idempotencyKey: 'k' })
		).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
		const offering = await createOffering(t.db, provider.id, {
			name: 'Desk',
			description: 'A desk',
			monthlyPrice: 100
		});
		const other = (await rentOffering(t.db, requester.id, offering.id))!;
		await expect(
			appendMessage(t.db, author, other.id, { body: 'one', idempotencyKey: 'k' })
		).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
		// The other party's key space is their own.
		const theirs = await appendMessage(t.db, { kind: 'user', userId: provider.id }, contract.id, {
			body: 'one',
			idempotencyKey: 'k'
		});
		expect(theirs!.replayed).toBe(false);
		expect(await t.db.select().from(messages)).toHaveLength(2);
	});

	it('forgets a key after 24 hours', async () => {
		const { requester, contract } = await makeWorld(t.db);
		const author = { kind: 'user' as const, userId: requester.id };
		const first = await appendMessage(t.db, author, contract.id, {
			body: 'a',
			idempotencyKey: 'k'
		});
		await t.db.update(messageIdempotencyKeys).set({ createdAt: ago(24 * 60 * MINUTE + MINUTE) });
		const later = await appendMessage(t.db, author, contract.id, {
			body: 'b',
			idempotencyKey: 'k'
		});
		expect(later!.replayed).toBe(false);
		expect(later!.message.id).not.toBe(first!.message.id);
	});

	it('stores one message for 20 concurrent retries with one key', async () => {
		const { requester, contract } = await makeWorld(t.db);
		const results = await Promise.all(
			Array.from({ length: 20 }, () =>
				appendMessage(t.db, { kind: 'user', userId: requester.id }, contract.id, {
					body: 'Only once, please',
					idempotencyKey: 'retry-storm'
				})
			)
		);
		expect(new Set(results.map((r) => r!.message.id)).size).toBe(1);
		expect(results.filter((r) => !r!.replayed)).toHaveLength(1);
		expect(await t.db.select().from(messages)).toHaveLength(1);
		const thread = await getThreadForContract(t.db, requester.id, contract.id);
		expect(thread!.messageCount).toBe(1);
	});

	it('answers a write exactly as a read shows the message', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		await send(t.db, provider.id, contract.id, 'Welcome');
		const sent = await send(t.db, requester.id, contract.id, 'Thanks!');
		const [, read] = await page(requester.id, contract.id);
		expect(sent).toEqual(read);
	});
});

describe('editing a message', () => {
	it('replaces the text within the window, keeps the old one in the history, tells both sides', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		const sent = (await send(t.db, requester.id, contract.id, 'Pick up at 9'))!;
		const edited = (await editMessage(t.db, requester.id, sent.id, 'Pick up at 10'))!;
		expect(edited).toMatchObject({ id: sent.id, body: 'Pick up at 10', isOwn: true });
		expect(edited.editedAt).toMatch(/Z$/);
		const [seen] = await page(provider.id, contract.id);
		expect(seen).toMatchObject({ body: 'Pick up at 10', editedAt: edited.editedAt, isOwn: false });
		const history = await t.db.select().from(messageEdits);
		expect(history.map((h) => h.previousBody)).toEqual(['Pick up at 9']);
		expect(await liveKinds(sent.id)).toEqual(
			expect.arrayContaining(['message.created', 'message.updated'])
		);
		// An edit is no new message: nothing more to email, nothing more unread.
		expect(await t.db.select().from(messageNotifications)).toHaveLength(1);
		expect(await getUnreadCount(t.db, provider.id)).toBe(1);
	});

	it('emails the latest text when the email had not gone out yet', async () => {
		const { requester, contract } = await makeWorld(t.db);
		const sent = (await send(t.db, requester.id, contract.id, 'first draft'))!;
		await editMessage(t.db, requester.id, sent.id, 'final words');
		await processDueNotifications(
			t.db,
			{ delaySeconds: 0, cooldownSeconds: 900 },
			{
				from: 'Parley <n@parley.test>',
				resendApiKey: null,
				resendBaseUrl: null,
				sendTimeoutMs: 2000,
				publicOrigin: 'https://parley.test'
			},
			Date.now() + 10_000
		);
		const [email] = await t.db.select().from(emailQueue);
		expect(email!.text).toContain('final words');
		expect(email!.text).not.toContain('first draft');
	});

	it('refuses others’ and system messages (403), strangers (null), late and deleted edits (409)', async () => {
		const { requester, provider, stranger, contract } = await makeWorld(t.db);
		const mine = (await send(t.db, requester.id, contract.id, 'mine'))!;
		await expect(editMessage(t.db, provider.id, mine.id, 'hijack')).rejects.toBeInstanceOf(
			NotYourMessageError
		);
		expect(await editMessage(t.db, stranger.id, mine.id, 'hijack')).toBeNull();
		const system = await appendMessage(t.db, { kind: 'system' }, contract.id, { body: 'Status' });
		await expect(editMessage(t.db, requester.id, system!.message.id, 'x')).rejects.toBeInstanceOf(
			NotYourMessageError
		);
		const old = (await send(t.db, requester.id, contract.id, 'old', { at: ago(16 * MINUTE) }))!;
		const late = editMessage(t.db, requester.id, old.id, 'too late');
		await expect(late).rejects.toBeInstanceOf(ChangeWindowClosedError);
		await expect(late).rejects.toThrow(
			'Messages can be edited for 15 minutes after they are sent.'
		);
		await deleteMessage(t.db, requester.id, mine.id);
		await expect(editMessage(t.db, requester.id, mine.id, 'again')).rejects.toBeInstanceOf(
			MessageDeletedError
		);
		const [row] = await t.db.select().from(messages).where(eq(messages.id, old.id));
		expect(row!.body).toBe('old');
	});
});

describe('deleting a message', () => {
	it('erases the text and its history, keeps the place, and takes it out of the unread count and the email', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		await send(t.db, requester.id, contract.id, 'first');
		const oops = (await send(t.db, requester.id, contract.id, 'wrong contract, sorry'))!;
		await editMessage(t.db, requester.id, oops.id, 'wrong contract, sorry!!');
		expect(await getUnreadCount(t.db, provider.id)).toBe(2);

		expect(await deleteMessage(t.db, requester.id, oops.id)).toBe(true);
		expect(await getUnreadCount(t.db, provider.id)).toBe(1);
		const [row] = await t.db.select().from(messages).where(eq(messages.id, oops.id));
		expect(row).toMatchObject({ body: '' });
		expect(row!.deletedAt).toBeInstanceOf(Date);
		expect(await t.db.select().from(messageEdits)).toEqual([]);
		const shown = (await page(provider.id, contract.id)).at(-1)!;
		expect(shown).toMatchObject({ id: oops.id, body: '', isRead: false });
		expect(shown.deletedAt).toMatch(/Z$/);
		const thread = await getThreadForContract(t.db, provider.id, contract.id);
		expect(thread!.lastMessage).toMatchObject({ body: '', deleted: true });
		expect(thread!.unreadCount).toBe(1);
		const [notification] = await t.db
			.select()
			.from(messageNotifications)
			.where(eq(messageNotifications.messageId, oops.id));
		expect(notification).toMatchObject({ status: 'skipped', skipReason: 'deleted' });
		expect(await liveKinds(oops.id)).toEqual(expect.arrayContaining(['message.deleted']));
		// Again: nothing more to do.
		expect(await deleteMessage(t.db, requester.id, oops.id)).toBe(false);
		expect(await getUnreadCount(t.db, provider.id)).toBe(1);
		// Reading past it later counts only what is left.
		expect(await markThreadRead(t.db, provider.id, contract.id)).toBe(1);
		expect(await getUnreadCount(t.db, provider.id)).toBe(0);
	});

	it('leaves a read message’s reader at zero unread', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		const sent = (await send(t.db, requester.id, contract.id, 'hello'))!;
		await markThreadRead(t.db, provider.id, contract.id);
		await deleteMessage(t.db, requester.id, sent.id);
		expect(await getUnreadCount(t.db, provider.id)).toBe(0);
		expect(await getUnreadCount(t.db, requester.id)).toBe(0);
	});

	it('refuses others’ and system messages (403), strangers (null) and after 24 hours (409)', async () => {
		const { requester, provider, stranger, contract } = await makeWorld(t.db);
		const mine = (await send(t.db, requester.id, contract.id, 'mine'))!;
		await expect(deleteMessage(t.db, provider.id, mine.id)).rejects.toBeInstanceOf(
			NotYourMessageError
		);
		expect(await deleteMessage(t.db, stranger.id, mine.id)).toBeNull();
		const system = await appendMessage(t.db, { kind: 'system' }, contract.id, { body: 'Status' });
		await expect(deleteMessage(t.db, provider.id, system!.message.id)).rejects.toBeInstanceOf(
			NotYourMessageError
		);
		const old = (await send(t.db, requester.id, contract.id, 'old', {
			at: ago(25 * 60 * MINUTE)
		}))!;
		await expect(deleteMessage(t.db, requester.id, old.id)).rejects.toThrow(
			'Messages can be deleted for 24 hours after they are sent.'
		);
		expect(
			await t.db
				.select()
				.from(messages)
				.where(sql`${messages.deletedAt} is not null`)
		).toEqual([]);
	});
});

describe('marking as unread', () => {
	it('makes that message and every later one from the other side unread again, and takes back “Seen”', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		const a = (await send(t.db, provider.id, contract.id, 'a'))!;
		const b = (await send(t.db, provider.id, contract.id, 'b'))!;
		await send(t.db, requester.id, contract.id, 'my reply');
		const c = (await send(t.db, provider.id, contract.id, 'c'))!;
		await markThreadRead(t.db, requester.id, contract.id);
		expect(await getUnreadCount(t.db, requester.id)).toBe(0);

		expect(await markMessageUnread(t.db, requester.id, b.id)).toBe(2);
		expect(await getUnreadCount(t.db, requester.id)).toBe(2);
		const mine = await page(requester.id, contract.id);
		expect(mine.map((m) => [m.body, m.isRead])).toEqual([
			['a', true],
			['b', false],
			['my reply', false],
			['c', false]
		]);
		const theirs = await page(provider.id, contract.id);
		expect(theirs.find((m) => m.id === a.id)!.readByCounterpartAt).not.toBeNull();
		expect(theirs.find((m) => m.id === b.id)!.readByCounterpartAt).toBeNull();
		expect(theirs.find((m) => m.id === c.id)!.readByCounterpartAt).toBeNull();
		const thread = await getThreadForContract(t.db, requester.id, contract.id);
		expect(thread!.unreadCount).toBe(2);
		expect(
			(await t.db.select().from(liveEvents).where(eq(liveEvents.kind, 'message.unread'))).length
		).toBe(2);

		// Reading again brings it back to zero, exactly.
		expect(await markMessageRead(t.db, requester.id, c.id)).toBe(2);
		expect(await getUnreadCount(t.db, requester.id)).toBe(0);
	});

	it('is for participants only', async () => {
		const { requester, stranger, contract } = await makeWorld(t.db);
		const sent = (await send(t.db, requester.id, contract.id, 'hi'))!;
		expect(await markMessageUnread(t.db, stranger.id, sent.id)).toBeNull();
		expect(await t.db.select().from(messageReadReceipts)).toHaveLength(1);
	});
});

describe('the unread counts', () => {
	it('always equal the undeleted messages without the reader’s receipt, under concurrent sends, reads, mark-unread and deletes', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		const users = [requester.id, provider.id];
		const sent: { id: string; by: string }[] = [];
		for (let i = 0; i < 10; i++) {
			const by = users[i % 2]!;
			sent.push({ id: (await send(t.db, by, contract.id, `seed ${i}`))!.id, by });
		}
		let rng = 7;
		const random = (n: number) => {
			rng = (rng * 1103515245 + 12345) % 2 ** 31;
			// The high bits: an LCG's low bits repeat with a short period.
			return Math.floor((rng / 2 ** 31) * n);
		};
		const operations = onPostgres() ? 300 : 100;
		const tasks: Promise<unknown>[] = [];
		for (let i = 0; i < operations; i++) {
			const user = users[random(2)]!;
			const kind = random(10);
			const target = sent[random(sent.length)]!;
			if (kind < 4) {
				tasks.push(
					send(t.db, user, contract.id, `message ${i}`).then((m) => {
						if (m) sent.push({ id: m.id, by: user });
					})
				);
			} else if (kind < 6) tasks.push(markThreadRead(t.db, user, contract.id));
			else if (kind < 8) tasks.push(markMessageUnread(t.db, user, target.id));
			else if (kind < 9) tasks.push(markMessageRead(t.db, user, target.id));
			else tasks.push(deleteMessage(t.db, target.by, target.id));
		}
		const results = await Promise.allSettled(tasks);
		expect(results.filter((r) => r.status === 'rejected')).toEqual([]);

		const rows = rowsOf<{ unread_count: number; recomputed: number; below_watermark: number }>(
			await t.db.execute(sql`
				select p.unread_count,
					(select count(*)::int from messages m
						where m.thread_id = p.thread_id and m.deleted_at is null
							and not exists (select 1 from message_read_receipts r where r.message_id = m.id and r.reader_id = p.user_id)) as recomputed,
					(select count(*)::int from messages m
						where m.thread_id = p.thread_id and m.deleted_at is null and m.seq <= p.last_read_seq
							and not exists (select 1 from message_read_receipts r where r.message_id = m.id and r.reader_id = p.user_id)) as below_watermark
				from message_thread_participants p`)
		);
		expect(rows).toHaveLength(2);
		for (const row of rows) {
			expect(row.unread_count).toBe(row.recomputed);
			expect(row.below_watermark).toBe(0);
		}
		const deleted = await t.db
			.select()
			.from(messages)
			.where(sql`${messages.deletedAt} is not null`);
		expect(deleted.length).toBeGreaterThan(0);
		expect(
			await t.db
				.select()
				.from(messageReadReceipts)
				.where(
					sql`${messageReadReceipts.messageId} in (select id from messages where deleted_at is not null)`
				)
		).toEqual([]);
	});
});

describe('an assistant as author', () => {
	it('is stored as the assistant, acting for a party, unread for both, emailed to the other, never a provider response', async () => {
		const { requester, provider, stranger, contract } = await makeWorld(t.db);
		await send(t.db, requester.id, contract.id, 'Is the GPU box free in May?');
		const reply = await appendMessage(
			t.db,
			{ kind: 'assistant', agentId: 'parley-assistant', actingFor: provider.id },
			contract.id,
			{ body: 'Yes, it is free all of May.' }
		);
		expect(reply!.message).toMatchObject({
			senderRole: 'assistant',
			senderId: null,
			// No agent token by that id: the default name, and whom it acts for.
			senderName: `Assistant for ${provider.displayName}`,
			isOwn: false
		});
		const [row] = await t.db.select().from(messages).where(eq(messages.id, reply!.message.id));
		expect(row).toMatchObject({
			senderRole: 'assistant',
			agentId: 'parley-assistant',
			actingForId: provider.id,
			via: 'app'
		});
		expect(await getUnreadCount(t.db, requester.id)).toBe(1);
		expect(await getUnreadCount(t.db, provider.id)).toBe(2);
		const notified = await t.db
			.select()
			.from(messageNotifications)
			.where(eq(messageNotifications.messageId, reply!.message.id));
		expect(notified.map((n) => n.recipientId)).toEqual([requester.id]);
		const metrics = await getProviderResponseMetrics(t.db, provider.id, 30);
		expect(metrics).toMatchObject({ totalThreads: 1, respondedThreads: 0 });
		const shown = (await page(requester.id, contract.id)).at(-1);
		expect(shown).toMatchObject({
			senderRole: 'assistant',
			senderName: `Assistant for ${provider.displayName}`
		});

		// It can act only for a party of the contract.
		const outsider = await appendMessage(
			t.db,
			{ kind: 'assistant', agentId: 'parley-assistant', actingFor: stranger.id },
			contract.id,
			{ body: 'Let me in' }
		);
		expect(outsider).toBeNull();
	});

	it('records a reply by email as the user’s, via email', async () => {
		const { requester, contract } = await makeWorld(t.db);
		const other = await makeUser(t.db, 'Nobody');
		const posted = await appendMessage(t.db, { kind: 'email', userId: requester.id }, contract.id, {
			body: 'Answered from my phone'
		});
		expect(posted!.message).toMatchObject({
			senderRole: 'user',
			senderId: requester.id,
			isOwn: true
		});
		const [row] = await t.db.select().from(messages);
		expect(row!.via).toBe('email');
		expect(
			await appendMessage(t.db, { kind: 'email', userId: other.id }, contract.id, { body: 'x' })
		).toBeNull();
	});
});
