import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rentOffering, transitionContract } from '../src/lib/server/contracts';
import { rowsOf } from '../src/lib/server/db';
import { isoTime } from '../src/lib/server/db/iso-time';
import {
	liveEvents,
	messageNotifications,
	messageReadReceipts,
	messageThreadParticipants,
	messageThreads,
	messages
} from '../src/lib/server/db/schema';
import { listMessages } from '../src/lib/server/messaging';
import { send } from './helpers/messaging';
import { getProviderResponseMetrics } from '../src/lib/server/messaging/metrics';
import {
	getUnreadCount,
	markMessageRead,
	markThreadRead
} from '../src/lib/server/messaging/read-state';
import { ThreadClosedError, getThreadForContract } from '../src/lib/server/messaging';
import { onPostgres, useTestDatabase } from './helpers/db';
import { makeUser, makeWorld } from './helpers/fixtures';

const t = useTestDatabase();

describe('threads', () => {
	it('creates one thread when both parties post first at the same instant', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		const results = await Promise.all([
			send(t.db, requester.id, contract.id, 'from the renter'),
			send(t.db, provider.id, contract.id, 'from the provider')
		]);
		expect(results.every((m) => m !== null)).toBe(true);
		const threads = await t.db
			.select()
			.from(messageThreads)
			.where(eq(messageThreads.contractId, contract.id));
		expect(threads).toHaveLength(1);
		expect(threads[0]).toMatchObject({ messageCount: 2, lastSeq: 2 });
		const rows = await t.db.select().from(messages).where(eq(messages.threadId, threads[0]!.id));
		expect(rows.map((m) => m.seq).sort()).toEqual([1, 2]);
		const participants = await t.db.select().from(messageThreadParticipants);
		expect(participants.map((p) => p.role).sort()).toEqual(['provider', 'requester']);
	});

	it('formats timestamps in Postgres exactly as Date#toISOString would', async () => {
		const values = [
			'2026-03-04 05:06:07.999999+00',
			'2026-12-31 23:59:59.9995+00',
			'2026-01-01 00:00:00+00',
			'2026-06-01 01:00:00.5+02',
			'1999-12-31 23:59:59.001+00'
		];
		for (const value of values) {
			const [row] = rowsOf<{ iso: string; text: string }>(
				await t.db.execute(
					sql`select ${isoTime(sql`${value}::timestamptz`)} as iso, ${value}::timestamptz::text as text`
				)
			);
			// The path the API took before: the driver's text parsed into a Date, then formatted.
			expect(row!.iso).toBe(new Date(row!.text).toISOString());
		}
		expect(
			rowsOf(await t.db.execute(sql`select ${isoTime(sql`null::timestamptz`)} as iso`))
		).toEqual([{ iso: null }]);
	});

	it('sends the microsecond timestamps it stores as milliseconds, in the thread and its messages', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		const sent = (await send(t.db, requester.id, contract.id, 'hello'))!;
		await t.db.execute(
			sql`update messages set created_at = '2026-03-04 05:06:07.999999+00' where id = ${sent.id}`
		);
		await markThreadRead(t.db, provider.id, contract.id);
		const page = (await listMessages(t.db, requester.id, contract.id, { limit: 10 }))!;
		expect(page.messages[0]!.createdAt).toBe('2026-03-04T05:06:07.999Z');
		expect(page.messages[0]!.readByCounterpartAt).toMatch(
			/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/
		);
		expect(page.thread!.lastMessage!.createdAt).toBe('2026-03-04T05:06:07.999Z');
		expect(page.thread!.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
	});

	it('refuses a sender who is not a party', async () => {
		const { stranger, contract } = await makeWorld(t.db);
		expect(await send(t.db, stranger.id, contract.id, 'let me in')).toBeNull();
		expect(await t.db.select().from(messageThreads)).toHaveLength(0);
	});
});

describe('read state', () => {
	it('never counts my own messages as unread, and sending reads what came before', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		await send(t.db, provider.id, contract.id, 'p1');
		await send(t.db, provider.id, contract.id, 'p2');
		expect(await getUnreadCount(t.db, requester.id)).toBe(2);
		await send(t.db, requester.id, contract.id, 'r1');
		expect(await getUnreadCount(t.db, requester.id)).toBe(0);
		expect(await getUnreadCount(t.db, provider.id)).toBe(1);
		const page = (await listMessages(t.db, requester.id, contract.id, { limit: 50 }))!;
		expect(page.messages.map((m) => [m.body, m.isOwn, m.isRead])).toEqual([
			['p1', false, true],
			['p2', false, true],
			['r1', true, true]
		]);
		// Each of those has the requester's receipt.
		const receipts = await t.db
			.select()
			.from(messageReadReceipts)
			.where(eq(messageReadReceipts.readerId, requester.id));
		expect(receipts).toHaveLength(3);
	});

	it('tells the live streams about a read only when a send caught up on the other side', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		const kinds = async () =>
			(
				await t.db
					.select({ kind: liveEvents.kind, userId: liveEvents.userId, seq: liveEvents.seq })
					.from(liveEvents)
					.orderBy(liveEvents.id)
			).map((e) => `${e.kind}@${e.seq} for ${e.userId === requester.id ? 'R' : 'P'}`);
		await send(t.db, provider.id, contract.id, 'p1');
		await send(t.db, provider.id, contract.id, 'p2');
		// The provider's sends read only the provider's own messages: nothing new was seen.
		expect((await kinds()).sort()).toEqual([
			'message.created@1 for P',
			'message.created@1 for R',
			'message.created@2 for P',
			'message.created@2 for R'
		]);
		await t.db.delete(liveEvents);
		await send(t.db, requester.id, contract.id, 'r1');
		// The requester's reply saw p1 and p2: the provider's "Seen" must change.
		expect((await kinds()).sort()).toEqual([
			'message.created@3 for P',
			'message.created@3 for R',
			'message.read@3 for P',
			'message.read@3 for R'
		]);
	});

	it('marks a message and every earlier one read, idempotently', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		const sent = [];
		for (const body of ['a', 'b', 'c', 'd'])
			sent.push((await send(t.db, requester.id, contract.id, body))!);
		expect(await markMessageRead(t.db, provider.id, sent[2]!.id)).toBe(3);
		expect(await markMessageRead(t.db, provider.id, sent[2]!.id)).toBe(0);
		expect(await markMessageRead(t.db, provider.id, sent[0]!.id)).toBe(0);
		expect(await getUnreadCount(t.db, provider.id)).toBe(1);
		expect(await markThreadRead(t.db, provider.id, contract.id)).toBe(1);
		expect(await markThreadRead(t.db, provider.id, contract.id)).toBe(0);
		expect(await getUnreadCount(t.db, provider.id)).toBe(0);
	});
});

describe('system messages', () => {
	it('posts every status change into the thread, unread only for the other party, with no email queued', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		await transitionContract(t.db, provider.id, contract.id, 'accept');
		// The provider's own action is no news to the provider.
		expect(await getUnreadCount(t.db, provider.id)).toBe(0);
		expect(await getUnreadCount(t.db, requester.id)).toBe(1);
		const [accepted] = (await listMessages(t.db, provider.id, contract.id, { limit: 50 }))!
			.messages;
		expect(accepted).toMatchObject({ isRead: true, isOwn: false });

		await transitionContract(t.db, requester.id, contract.id, 'cancel');
		const page = (await listMessages(t.db, requester.id, contract.id, { limit: 50 }))!;
		expect(page.messages.map((m) => [m.senderRole, m.senderId, m.senderName, m.body])).toEqual([
			['system', null, null, `${provider.displayName} accepted the rental`],
			['system', null, null, `${requester.displayName} cancelled the rental`]
		]);
		// Cancelling on the rental page reads only the cancellation, not what came before it.
		expect(await getUnreadCount(t.db, requester.id)).toBe(1);
		expect(await getUnreadCount(t.db, provider.id)).toBe(1);
		expect(await t.db.select().from(messageNotifications)).toHaveLength(0);
		// Reading it all later counts exactly what was left.
		expect(await markThreadRead(t.db, requester.id, contract.id)).toBe(1);
		expect(await getUnreadCount(t.db, requester.id)).toBe(0);
	});

	it('is rolled back with a refused transition', async () => {
		const { requester, contract } = await makeWorld(t.db);
		await expect(transitionContract(t.db, requester.id, contract.id, 'accept')).rejects.toThrow();
		expect(await getThreadForContract(t.db, requester.id, contract.id)).toBeNull();
	});
});

describe('notifications queue', () => {
	it('writes one pending row per human recipient in the same transaction as the message', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		const message = (await send(t.db, requester.id, contract.id, 'Hello'))!;
		const rows = await t.db.select().from(messageNotifications);
		expect(rows).toEqual([
			expect.objectContaining({
				messageId: message.id,
				recipientId: provider.id,
				threadId: message.threadId,
				status: 'pending',
				attempts: 0,
				sentAt: null
			})
		]);
		// A message refused by validation at the database (closed thread) leaves no row behind.
		await t.db.update(messageThreads).set({ status: 'closed' });
		await expect(send(t.db, provider.id, contract.id, 'late')).rejects.toBeInstanceOf(
			ThreadClosedError
		);
		expect(await t.db.select().from(messageNotifications)).toHaveLength(1);
		expect(await t.db.select().from(messages)).toHaveLength(1);
	});
});

describe('unread_count under concurrency', () => {
	it('always equals the messages without the reader’s receipt, after hundreds of concurrent sends and reads', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		const third = await makeUser(t.db, 'Second provider');
		const { createOffering } = await import('../src/lib/server/offerings');
		const offering2 = await createOffering(t.db, third.id, {
			name: 'Desk',
			description: 'A desk',
			monthlyPrice: 100
		});
		const contract2 = (await rentOffering(t.db, requester.id, offering2.id))!;
		const pairs = [
			{ contractId: contract.id, users: [requester.id, provider.id] },
			{ contractId: contract2.id, users: [requester.id, third.id] }
		];
		const sentIds: string[] = [];
		let rng = 42;
		const random = (n: number) => {
			rng = (rng * 1103515245 + 12345) % 2 ** 31;
			return rng % n;
		};
		const operations = onPostgres() ? 400 : 120;
		const tasks: Promise<unknown>[] = [];
		for (let i = 0; i < operations; i++) {
			const pair = pairs[random(pairs.length)]!;
			const user = pair.users[random(2)]!;
			const kind = random(10);
			if (kind < 5) {
				tasks.push(
					send(t.db, user, pair.contractId, `message ${i}`).then((m) => m && sentIds.push(m.id))
				);
			} else if (kind < 8) {
				tasks.push(markThreadRead(t.db, user, pair.contractId));
			} else {
				const id = sentIds[random(Math.max(sentIds.length, 1))];
				tasks.push(
					id ? markMessageRead(t.db, user, id) : markThreadRead(t.db, user, pair.contractId)
				);
			}
		}
		const results = await Promise.allSettled(tasks);
		expect(results.filter((r) => r.status === 'rejected')).toEqual([]);

		// Recompute every count from the receipts and compare with the stored counter.
		const rows = rowsOf<{
			thread_id: string;
			user_id: string;
			unread_count: number;
			recomputed: number;
			below_watermark_unread: number;
		}>(
			await t.db.execute(sql`
				select p.thread_id, p.user_id, p.unread_count,
					(select count(*)::int from messages m
						where m.thread_id = p.thread_id
							and not exists (select 1 from message_read_receipts r where r.message_id = m.id and r.reader_id = p.user_id)) as recomputed,
					(select count(*)::int from messages m
						where m.thread_id = p.thread_id and m.seq <= p.last_read_seq
							and not exists (select 1 from message_read_receipts r where r.message_id = m.id and r.reader_id = p.user_id)) as below_watermark_unread
				from message_thread_participants p`)
		);
		expect(rows).toHaveLength(4);
		for (const row of rows) {
			expect(row.unread_count).toBe(row.recomputed);
			expect(row.below_watermark_unread).toBe(0);
		}
		// Sequence numbers are gapless per thread.
		for (const { contractId } of pairs) {
			const [thread] = await t.db
				.select()
				.from(messageThreads)
				.where(eq(messageThreads.contractId, contractId));
			const seqs = (
				await t.db
					.select({ seq: messages.seq })
					.from(messages)
					.where(eq(messages.threadId, thread!.id))
			)
				.map((m) => m.seq)
				.sort((a, b) => a - b);
			expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
			expect(thread!.messageCount).toBe(seqs.length);
		}
		expect(sentIds.length).toBeGreaterThan(operations / 3);
		const badge = await getUnreadCount(t.db, requester.id);
		expect(badge).toBe(
			rows.filter((r) => r.user_id === requester.id).reduce((s, r) => s + r.recomputed, 0)
		);
	});
});

describe('provider response metrics', () => {
	const HOUR = 60 * 60 * 1000;
	// One fixed "now", so a reply written "24 hours later" is exactly 24 hours later.
	const NOW = Date.now();
	const ago = (hours: number) => new Date(NOW - hours * HOUR);

	it('computes rate, average, median and within-24h from hand-built timelines', async () => {
		const provider = await makeUser(t.db, 'Metrics provider');
		const { createOffering } = await import('../src/lib/server/offerings');
		const offering = await createOffering(t.db, provider.id, {
			name: 'Bike',
			description: 'A bike',
			monthlyPrice: 100
		});
		const contractFor = async () => {
			const renter = await makeUser(t.db, 'Renter');
			return { renter, contract: (await rentOffering(t.db, renter.id, offering.id))! };
		};

		// 1: answered after 2 hours.
		const a = await contractFor();
		await send(t.db, a.renter.id, a.contract.id, 'q', { at: ago(10) });
		await send(t.db, provider.id, a.contract.id, 'a', { at: ago(8) });
		// 2: the provider wrote first; the renter's first message in the window is answered 24 h later.
		const b = await contractFor();
		await send(t.db, provider.id, b.contract.id, 'welcome', { at: ago(5 * 24) });
		await send(t.db, b.renter.id, b.contract.id, 'q', { at: ago(4 * 24) });
		await send(t.db, b.renter.id, b.contract.id, 'q again', { at: ago(3.5 * 24) });
		await send(t.db, provider.id, b.contract.id, 'a', { at: ago(3 * 24) });
		// 3: only a system message followed: not a response.
		const c = await contractFor();
		await send(t.db, c.renter.id, c.contract.id, 'q', { at: ago(30) });
		await transitionContract(t.db, provider.id, c.contract.id, 'accept');
		// 4: entirely outside a 30-day window.
		const d = await contractFor();
		await send(t.db, d.renter.id, d.contract.id, 'old q', { at: ago(40 * 24) });
		await send(t.db, provider.id, d.contract.id, 'old a', { at: ago(39 * 24) });
		// 5: answered after 30 hours.
		const e = await contractFor();
		await send(t.db, e.renter.id, e.contract.id, 'q', { at: ago(40) });
		await send(t.db, provider.id, e.contract.id, 'a', { at: ago(10) });
		// 6: the provider only wrote before the renter, never after.
		const f = await contractFor();
		await send(t.db, provider.id, f.contract.id, 'hello?', { at: ago(50) });
		await send(t.db, f.renter.id, f.contract.id, 'late reply', { at: ago(1) });

		const m30 = await getProviderResponseMetrics(t.db, provider.id, 30);
		expect(m30).toMatchObject({
			totalThreads: 5,
			respondedThreads: 3,
			responseRatePct: 60,
			respondedWithin24hPct: 40,
			avgResponseTimeHours: 18.67,
			medianResponseTimeHours: 24
		});
		const m60 = await getProviderResponseMetrics(t.db, provider.id, 60);
		expect(m60).toMatchObject({
			totalThreads: 6,
			respondedThreads: 4,
			medianResponseTimeHours: 24
		});
		const m1 = await getProviderResponseMetrics(t.db, provider.id, 1);
		expect(m1).toMatchObject({ totalThreads: 2, respondedThreads: 1, medianResponseTimeHours: 2 });
	});

	it('answers nulls and zeros when there is nothing to measure', async () => {
		const provider = await makeUser(t.db, 'Quiet provider');
		expect(await getProviderResponseMetrics(t.db, provider.id, 30)).toEqual({
			providerId: provider.id,
			days: 30,
			avgResponseTimeHours: null,
			medianResponseTimeHours: null,
			responseRatePct: 0,
			respondedWithin24hPct: 0,
			totalThreads: 0,
			respondedThreads: 0
		});
	});

	it('does not count a thread where only the provider wrote', async () => {
		const { provider, contract } = await makeWorld(t.db);
		await send(t.db, provider.id, contract.id, 'hi');
		const metrics = await getProviderResponseMetrics(t.db, provider.id, 30);
		expect(metrics.totalThreads).toBe(0);
		const participants = await t.db
			.select()
			.from(messageThreadParticipants)
			.where(and(eq(messageThreadParticipants.userId, provider.id)));
		expect(participants).toHaveLength(1);
	});
});
