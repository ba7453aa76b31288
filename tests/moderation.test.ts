import { and, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiToken, resolveApiToken } from '../src/lib/server/api-tokens';
import {
	AccountSuspendedError,
	authenticate,
	validateSessionToken,
	type SessionUser
} from '../src/lib/server/auth';
import { getContractForParty, rentOffering } from '../src/lib/server/contracts';
import {
	messageNotifications,
	messageThreadParticipants,
	messages,
	moderationActions,
	reports,
	sessions,
	users
} from '../src/lib/server/db/schema';
import { requireOperator } from '../src/lib/server/guards';
import { openStream } from '../src/lib/server/http/messaging-api';
import {
	deleteBlock,
	getBlocks,
	postMessageReport,
	postUserReport,
	putBlock
} from '../src/lib/server/http/moderation-api';
import type { Endpoint } from '../src/lib/server/http/endpoint';
import { LiveHub } from '../src/lib/server/live/hub';
import { getUnreadCount, listInbox, listMessages } from '../src/lib/server/messaging';
import {
	actOnReport,
	blockUser,
	getReportDetail,
	listReports,
	listSuspendedAccounts,
	RentalRefusedError,
	reportMessage,
	reportUser,
	setUserRole,
	unblockUser,
	unsuspendUser
} from '../src/lib/server/moderation';
import { findReplyTarget, replyTokenFor } from '../src/lib/server/email/reply-tokens';
import { createOffering } from '../src/lib/server/offerings';
import { useTestDatabase } from './helpers/db';
import { apiEvent, makeUser, makeWorld, sessionTokenFor } from './helpers/fixtures';
import { send } from './helpers/messaging';
import { readSse } from './helpers/sse';

const t = useTestDatabase();
const hubs: LiveHub[] = [];
afterEach(async () => {
	await Promise.all(hubs.splice(0).map((hub) => hub.close()));
});

async function makeOperator() {
	const operator = await makeUser(t.db, 'Operator');
	expect(await setUserRole(t.db, operator.email, 'operator')).toBe(true);
	return operator;
}

/** The world, a message from the provider with a phone number, and an operator. */
async function setUp() {
	const world = await makeWorld(t.db);
	const message = (await send(
		t.db,
		world.provider.id,
		world.contract.id,
		'Pay me outside Parley, call +44 7700 900123'
	))!;
	const operator = await makeOperator();
	return { ...world, message, operator };
}

async function status(
	api: Endpoint,
	user: SessionUser | null,
	params: Record<string, string>,
	json?: unknown
) {
	const response = await api(
		t.db,
		apiEvent(user, { method: api.declaration.method, params, json })
	);
	return response.status;
}

describe('who may report and block (the authorization matrix)', () => {
	it('answers each kind of caller as it should, and a suspended account is signed out', async () => {
		const w = await setUp();
		const suspendedUser = await makeUser(t.db, 'Suspended');
		const token = await sessionTokenFor(t.db, suspendedUser);
		await t.db.update(users).set({ suspendedAt: new Date() }).where(eq(users.id, suspendedUser.id));
		// What the hook gives a suspended account's cookie: no user.
		const suspended = (await validateSessionToken(t.db, token)).user;
		expect(suspended).toBeNull();

		const report = { reason: 'spam' };
		const msg = { id: w.message.id };
		const person = { userId: w.provider.id };
		const cases: [string, SessionUser | null, Endpoint, Record<string, string>, unknown, number][] =
			[
				['requester reports the message', w.requester, postMessageReport, msg, report, 201],
				['provider reports own message', w.provider, postMessageReport, msg, report, 400],
				['stranger reports the message', w.stranger, postMessageReport, msg, report, 404],
				['operator (no party) reports it', w.operator, postMessageReport, msg, report, 404],
				['suspended reports it', suspended, postMessageReport, msg, report, 401],
				['signed out reports it', null, postMessageReport, msg, report, 401],
				['stranger, bad body', w.stranger, postMessageReport, msg, { reason: 'x' }, 404],
				['requester, bad body', w.requester, postMessageReport, msg, { reason: 'x' }, 400],
				['requester reports the provider', w.requester, postUserReport, person, report, 201],
				['provider reports themself', w.provider, postUserReport, person, report, 404],
				['stranger reports the provider', w.stranger, postUserReport, person, report, 404],
				['operator reports the provider', w.operator, postUserReport, person, report, 404],
				['signed out reports the provider', null, postUserReport, person, report, 401],
				['requester blocks the provider', w.requester, putBlock, person, undefined, 200],
				['stranger blocks the provider', w.stranger, putBlock, person, undefined, 404],
				['operator blocks the provider', w.operator, putBlock, person, undefined, 404],
				['suspended blocks the provider', suspended, putBlock, person, undefined, 401],
				['signed out blocks the provider', null, putBlock, person, undefined, 401],
				['requester unblocks', w.requester, deleteBlock, person, undefined, 200],
				['stranger unblocks', w.stranger, deleteBlock, person, undefined, 404],
				['signed out unblocks', null, deleteBlock, person, undefined, 401],
				['requester lists their blocks', w.requester, getBlocks, {}, undefined, 200],
				['stranger lists their blocks', w.stranger, getBlocks, {}, undefined, 200],
				['operator lists their blocks', w.operator, getBlocks, {}, undefined, 200],
				['suspended lists blocks', suspended, getBlocks, {}, undefined, 401],
				['signed out lists blocks', null, getBlocks, {}, undefined, 401]
			];
		for (const [what, user, api, params, json, expected] of cases) {
			expect(await status(api, user, params, json), what).toBe(expected);
		}
		// Only the two 201s wrote a report.
		expect(await t.db.select().from(reports)).toHaveLength(2);
	});

	it('lets only a signed-in, unsuspended operator into /admin (404 for everyone else)', async () => {
		const w = await setUp();
		const locals = (user: SessionUser | null) => ({ user, sessionId: null, requestId: 'test' });
		for (const [who, user] of [
			['requester', w.requester],
			['provider', w.provider],
			['stranger', w.stranger],
			['signed out', null]
		] as const) {
			await expect(requireOperator(t.db, locals(user)), who).rejects.toMatchObject({ status: 404 });
			expect(
				await listReports(t.db, user?.id ?? w.stranger.id, { status: 'open', limit: 10 })
			).toBeNull();
		}
		await expect(requireOperator(t.db, locals(w.operator))).resolves.toMatchObject({
			id: w.operator.id
		});
		// A suspended operator is no operator.
		await t.db.update(users).set({ suspendedAt: new Date() }).where(eq(users.id, w.operator.id));
		await expect(requireOperator(t.db, locals(w.operator))).rejects.toMatchObject({ status: 404 });
	});

	it('lets only an unsuspended operator list suspended accounts and lift a suspension', async () => {
		const w = await setUp();
		await t.db.update(users).set({ suspendedAt: new Date() }).where(eq(users.id, w.provider.id));
		const suspendedOperator = await makeOperator();
		await t.db
			.update(users)
			.set({ suspendedAt: new Date() })
			.where(eq(users.id, suspendedOperator.id));
		// Signed out has no id: the pages' requireOperator answers 404 before these run (above).
		for (const [who, user] of [
			['requester', w.requester],
			['provider (the suspended one)', w.provider],
			['stranger', w.stranger],
			['suspended operator', suspendedOperator]
		] as const) {
			expect(await listSuspendedAccounts(t.db, user.id, { limit: 10 }), who).toBeNull();
			expect(await unsuspendUser(t.db, user.id, w.provider.id, 'Let me back'), who).toBeNull();
		}
		expect(await t.db.select().from(moderationActions)).toEqual([]);
		const [provider] = await t.db.select().from(users).where(eq(users.id, w.provider.id));
		expect(provider!.suspendedAt).not.toBeNull();
		// The operator may.
		const listed = await listSuspendedAccounts(t.db, w.operator.id, { limit: 10 });
		expect(listed!.map((a) => a.id).sort()).toEqual([w.provider.id, suspendedOperator.id].sort());
		expect(await unsuspendUser(t.db, w.operator.id, w.provider.id, 'Appeal upheld')).toEqual({
			name: w.provider.displayName
		});
	});
});

describe('reports', () => {
	it('reach the operator with the message as written, in its conversation, and the note', async () => {
		const w = await setUp();
		const created = await reportMessage(t.db, w.requester.id, w.message.id, {
			reason: 'scam',
			note: 'Wants to be paid off the platform',
			block: false
		});
		expect(created).toMatchObject({ status: 'open', blocked: false });
		// The requester reads the phone number hidden; the operator reads it as written.
		const page = await listMessages(t.db, w.requester.id, w.contract.id, { limit: 10 });
		expect(page!.messages[0]!.body).not.toContain('7700');

		const [listed] = (await listReports(t.db, w.operator.id, { status: 'open', limit: 10 }))!;
		expect(listed).toMatchObject({
			reason: 'scam',
			note: 'Wants to be paid off the platform',
			reporter: { id: w.requester.id },
			reported: { id: w.provider.id, suspended: false },
			message: { id: w.message.id, body: 'Pay me outside Parley, call +44 7700 900123' }
		});
		const detail = (await getReportDetail(t.db, w.operator.id, created!.id))!;
		expect(detail.conversation.find((m) => m.isReported)?.body).toContain('+44 7700 900123');
	});

	it('of the same message by the same person while open are one report', async () => {
		const w = await setUp();
		const input = { reason: 'spam' as const, note: '', block: false };
		const first = await reportMessage(t.db, w.requester.id, w.message.id, input);
		const again = await reportMessage(t.db, w.requester.id, w.message.id, input);
		expect(again!.id).toBe(first!.id);
	});

	it('by the same person about the same message or person are one open report, even sent at once', async () => {
		const w = await setUp();
		const input = { reason: 'spam' as const, note: '', block: false };
		// Twenty submits at once (a double click, a retrying client): one report each.
		const aboutMessage = await Promise.all(
			Array.from({ length: 20 }, () => reportMessage(t.db, w.requester.id, w.message.id, input))
		);
		const aboutPerson = await Promise.all(
			Array.from({ length: 20 }, () => reportUser(t.db, w.requester.id, w.provider.id, input))
		);
		const open = await t.db.select().from(reports).where(eq(reports.status, 'open'));
		expect(open.filter((r) => r.messageId === w.message.id)).toHaveLength(1);
		expect(open.filter((r) => r.messageId === null)).toHaveLength(1);
		expect(new Set(aboutMessage.map((r) => r!.id))).toEqual(
			new Set([open.find((r) => r.messageId)!.id])
		);
		expect(new Set(aboutPerson.map((r) => r!.id))).toEqual(
			new Set([open.find((r) => !r.messageId)!.id])
		);
		// Once an operator has closed it, the same report can be made again.
		const closed = aboutPerson[0]!.id;
		expect(await actOnReport(t.db, w.operator.id, closed, 'dismiss', 'Not now')).toBe(true);
		const again = await reportUser(t.db, w.requester.id, w.provider.id, input);
		expect(again!.id).not.toBe(closed);
		expect(again!.status).toBe('open');
	});

	it('need a note for "other"', async () => {
		const w = await setUp();
		const response = await postMessageReport(
			t.db,
			apiEvent(w.requester, {
				method: 'POST',
				params: { id: w.message.id },
				json: { reason: 'other' }
			})
		);
		expect(response.status).toBe(400);
		expect(JSON.stringify(await response.json())).toContain('Say what is wrong.');
	});
});

describe('operator actions', () => {
	it('dismiss closes the report and records who, when and why', async () => {
		const w = await setUp();
		const report = (await reportMessage(t.db, w.requester.id, w.message.id, {
			reason: 'spam',
			note: '',
			block: false
		}))!;
		expect(await actOnReport(t.db, w.requester.id, report.id, 'dismiss', 'nope')).toBeNull();
		expect(await actOnReport(t.db, w.operator.id, report.id, 'dismiss', 'Not spam')).toBe(true);
		const [row] = await t.db.select().from(reports).where(eq(reports.id, report.id));
		expect(row).toMatchObject({ status: 'dismissed', resolvedBy: w.operator.id });
		const actions = await t.db.select().from(moderationActions);
		expect(actions).toEqual([
			expect.objectContaining({
				operatorId: w.operator.id,
				action: 'dismiss',
				reason: 'Not spam',
				reportId: report.id
			})
		]);
		expect(actions[0]!.createdAt).toBeInstanceOf(Date);
	});

	it('acts once on a report: a second submit (or another operator) changes nothing', async () => {
		const w = await setUp();
		const report = (await reportMessage(t.db, w.requester.id, w.message.id, {
			reason: 'spam',
			note: '',
			block: false
		}))!;
		const [first, second] = await Promise.all([
			actOnReport(t.db, w.operator.id, report.id, 'delete_message', 'Spam'),
			actOnReport(t.db, w.operator.id, report.id, 'dismiss', 'Not spam')
		]);
		expect([first, second].sort()).toEqual([false, true]);
		expect(await t.db.select().from(moderationActions)).toHaveLength(1);
		expect(await actOnReport(t.db, w.operator.id, report.id, 'dismiss', 'Late')).toBe(false);
		expect(await t.db.select().from(moderationActions)).toHaveLength(1);
	});

	it('delete leaves the tombstone, whenever the message was sent', async () => {
		const w = await setUp();
		await t.db
			.update(messages)
			.set({ createdAt: new Date(Date.now() - 30 * 86_400_000) })
			.where(eq(messages.id, w.message.id));
		const report = (await reportMessage(t.db, w.requester.id, w.message.id, {
			reason: 'contact_details',
			note: '',
			block: false
		}))!;
		expect(
			await actOnReport(t.db, w.operator.id, report.id, 'delete_message', 'Off-platform payment')
		).toBe(true);
		const [row] = await t.db.select().from(messages).where(eq(messages.id, w.message.id));
		expect(row).toMatchObject({ body: '', maskedBody: null });
		expect(row!.deletedAt).not.toBeNull();
		const page = await listMessages(t.db, w.requester.id, w.contract.id, { limit: 10 });
		expect(page!.messages[0]).toMatchObject({ body: '', deletedAt: expect.any(String) });
	});

	it('suspend signs out everywhere, closes streams, revokes tokens, stops email, shows it', async () => {
		const w = await setUp();
		const cookie = await sessionTokenFor(t.db, w.provider);
		const apiToken = await createApiToken(
			t.db,
			w.provider.id,
			{ name: 'script', scopes: ['messages:read'], kind: 'personal', expiresInDays: 30 },
			{ perHour: 100 }
		);
		const hub = new LiveHub(t.database);
		hubs.push(hub);
		const stream = readSse(await openStream(t.db, hub, apiEvent(w.provider)));
		await stream.waitFor((e) => e.some((x) => x.event === 'unread.changed'));
		// A message to the provider waits for its email.
		await send(t.db, w.requester.id, w.contract.id, 'Are you there?');

		const report = (await reportMessage(t.db, w.requester.id, w.message.id, {
			reason: 'scam',
			note: '',
			block: false
		}))!;
		expect(await actOnReport(t.db, w.operator.id, report.id, 'suspend', 'Scam pattern')).toBe(true);

		expect(await t.db.select().from(sessions).where(eq(sessions.userId, w.provider.id))).toEqual(
			[]
		);
		expect((await validateSessionToken(t.db, cookie)).user).toBeNull();
		expect(await resolveApiToken(t.db, apiToken.token)).toBeNull();
		await expect(
			authenticate(t.db, {
				email: w.provider.email,
				password: 'correct horse battery',
				ip: '1.2.3.4'
			})
		).rejects.toBeInstanceOf(AccountSuspendedError);
		// The stream ends on its own: the NOTIFY reached the hub.
		for (let i = 0; i < 100 && !stream.done; i++) await new Promise((r) => setTimeout(r, 20));
		expect(stream.done).toBe(true);
		const pending = await t.db
			.select()
			.from(messageNotifications)
			.where(eq(messageNotifications.recipientId, w.provider.id));
		expect(pending.map((n) => [n.status, n.skipReason])).toEqual([['skipped', 'suspended']]);
		// The other party sees them as suspended.
		const contract = await getContractForParty(t.db, w.requester.id, w.contract.id);
		expect(contract!.counterpart).toMatchObject({ id: w.provider.id, suspended: true });
		const inbox = await listInbox(t.db, w.requester.id, { limit: 10 });
		expect(inbox.threads[0]!.counterpart.suspended).toBe(true);
		const [action] = await t.db.select().from(moderationActions);
		expect(action).toMatchObject({
			action: 'suspend',
			reason: 'Scam pattern',
			targetUserId: w.provider.id,
			operatorId: w.operator.id
		});
		// Nobody can rent from a suspended provider.
		await expect(rentOffering(t.db, w.stranger.id, w.offering.id)).rejects.toBeInstanceOf(
			RentalRefusedError
		);
	});
});

describe('lifting a suspension', () => {
	it('lets the account sign in again, records who, when and why; tokens and reply addresses stay revoked', async () => {
		const w = await setUp();
		const apiToken = await createApiToken(
			t.db,
			w.provider.id,
			{ name: 'script', scopes: ['messages:read'], kind: 'personal', expiresInDays: 30 },
			{ perHour: 100 }
		);
		const oldReply = await replyTokenFor(t.db, w.provider.id, w.contract.id, 'x'.repeat(32));
		expect(await findReplyTarget(t.db, oldReply)).not.toBeNull();
		const report = (await reportMessage(t.db, w.requester.id, w.message.id, {
			reason: 'scam',
			note: '',
			block: false
		}))!;
		expect(await actOnReport(t.db, w.operator.id, report.id, 'suspend', 'Scam pattern')).toBe(true);

		const [listed] = (await listSuspendedAccounts(t.db, w.operator.id, { limit: 10 }))!;
		expect(listed).toMatchObject({
			id: w.provider.id,
			email: w.provider.email,
			suspendedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
			suspension: {
				reason: 'Scam pattern',
				operatorName: w.operator.displayName,
				reportId: report.id
			}
		});

		expect(await unsuspendUser(t.db, w.operator.id, w.provider.id, 'Appeal upheld')).toEqual({
			name: w.provider.displayName
		});
		// A second submit (or another operator) changes nothing and records nothing.
		expect(await unsuspendUser(t.db, w.operator.id, w.provider.id, 'Again')).toBe(false);
		expect(await unsuspendUser(t.db, w.operator.id, w.stranger.id, 'Never was')).toBe(false);
		expect(await listSuspendedAccounts(t.db, w.operator.id, { limit: 10 })).toEqual([]);

		const actions = await t.db
			.select()
			.from(moderationActions)
			.where(eq(moderationActions.targetUserId, w.provider.id));
		expect(actions.map((a) => [a.action, a.reason, a.operatorId])).toEqual([
			['suspend', 'Scam pattern', w.operator.id],
			['unsuspend', 'Appeal upheld', w.operator.id]
		]);
		expect(actions[1]!.createdAt).toBeInstanceOf(Date);

		// The provider signs in again, is shown as active, and can be rented from.
		const signedIn = await authenticate(t.db, {
			email: w.provider.email,
			password: 'correct horse battery',
			ip: '1.2.3.4'
		});
		expect(signedIn.id).toBe(w.provider.id);
		const contract = await getContractForParty(t.db, w.requester.id, w.contract.id);
		expect(contract!.counterpart).toMatchObject({ id: w.provider.id, suspended: false });
		expect(await rentOffering(t.db, w.stranger.id, w.offering.id)).not.toBeNull();
		// What the suspension revoked stays revoked: the old API token and reply address are dead,
		// and the next email carries a new reply address that works.
		expect(await resolveApiToken(t.db, apiToken.token)).toBeNull();
		expect(await findReplyTarget(t.db, oldReply)).toBeNull();
		const newReply = await replyTokenFor(t.db, w.provider.id, w.contract.id, 'x'.repeat(32));
		expect(newReply).not.toBe(oldReply);
		expect(await findReplyTarget(t.db, newReply)).toMatchObject({ userId: w.provider.id });
	});
});

describe('blocks', () => {
	it('stop new rentals both ways; the conversation stays, muted for the blocker, and lifts again', async () => {
		const w = await setUp();
		await send(t.db, w.requester.id, w.contract.id, 'Hello?');
		expect(await getUnreadCount(t.db, w.provider.id)).toBe(1);
		const block = await putBlock(
			t.db,
			apiEvent(w.provider, { method: 'PUT', params: { userId: w.requester.id } })
		);
		expect(await block.json()).toEqual({ blocked: true });

		const another = await createOffering(t.db, w.provider.id, {
			name: 'Second box',
			description: 'Another one.',
			monthlyPrice: 1000
		});
		await expect(rentOffering(t.db, w.requester.id, another.id)).rejects.toMatchObject({
			status: 403,
			message: 'This provider is not taking rentals from you.'
		});
		// The existing conversation goes on, without email or badge for the blocker.
		expect(await send(t.db, w.requester.id, w.contract.id, 'Still here')).not.toBeNull();
		expect(await getUnreadCount(t.db, w.provider.id)).toBe(0);
		const [participant] = await t.db
			.select()
			.from(messageThreadParticipants)
			.where(
				and(
					eq(messageThreadParticipants.userId, w.provider.id),
					eq(messageThreadParticipants.threadId, w.message.threadId)
				)
			);
		expect(participant!.muted).toBe(true);
		const queued = await t.db
			.select()
			.from(messageNotifications)
			.where(eq(messageNotifications.recipientId, w.provider.id));
		// The first message was queued before the block; the later one was not queued at all.
		expect(queued).toHaveLength(1);

		await deleteBlock(
			t.db,
			apiEvent(w.provider, { method: 'DELETE', params: { userId: w.requester.id } })
		);
		expect(await getUnreadCount(t.db, w.provider.id)).toBe(2);
		expect(await rentOffering(t.db, w.requester.id, another.id)).not.toBeNull();
	});

	it('are listed for the blocker alone, newest first, and lifted from the list', async () => {
		const w = await setUp();
		const list = async (user: SessionUser) =>
			(await (await getBlocks(t.db, apiEvent(user, { method: 'GET' }))).json()) as {
				blocks: { userId: string; displayName: string; blockedAt: string }[];
			};
		expect(await list(w.requester)).toEqual({ blocks: [] });
		// A second rental with another provider, so the requester has two people to block.
		const other = await makeUser(t.db, 'Other Provider');
		const offering = await createOffering(t.db, other.id, {
			name: 'Ladder',
			description: 'Tall.',
			monthlyPrice: 500
		});
		await rentOffering(t.db, w.requester.id, offering.id);
		await blockUser(t.db, w.requester.id, w.provider.id);
		await new Promise((r) => setTimeout(r, 5));
		await blockUser(t.db, w.requester.id, other.id);

		const { blocks } = await list(w.requester);
		expect(blocks.map((b) => [b.userId, b.displayName])).toEqual([
			[other.id, other.displayName],
			[w.provider.id, w.provider.displayName]
		]);
		expect(new Date(blocks[0]!.blockedAt).toISOString()).toBe(blocks[0]!.blockedAt);
		// Nobody else sees them: not the blocked, not a stranger.
		expect(await list(w.provider)).toEqual({ blocks: [] });
		expect(await list(w.stranger)).toEqual({ blocks: [] });

		expect(await unblockUser(t.db, w.requester.id, w.provider.id)).toBe(true);
		expect(await unblockUser(t.db, w.requester.id, w.provider.id)).toBe(false);
		expect(await unblockUser(t.db, w.stranger.id, w.provider.id)).toBeNull();
		expect((await list(w.requester)).blocks.map((b) => b.userId)).toEqual([other.id]);
	});

	it('can come with a report, and refuse the blocker renting from the blocked', async () => {
		const w = await setUp();
		const response = await postMessageReport(
			t.db,
			apiEvent(w.requester, {
				method: 'POST',
				params: { id: w.message.id },
				json: { reason: 'harassment', note: 'Rude', block: true }
			})
		);
		expect(response.status).toBe(201);
		expect(await response.json()).toMatchObject({ blocked: true });
		const again = await createOffering(t.db, w.provider.id, {
			name: 'Third box',
			description: 'Yet another.',
			monthlyPrice: 1000
		});
		await expect(rentOffering(t.db, w.requester.id, again.id)).rejects.toMatchObject({
			status: 403,
			message: 'You blocked this provider. Unblock them to rent from them.'
		});
	});
});
