import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
	ForbiddenTransitionError,
	InvalidTransitionError,
	OwnOfferingError,
	getContractForParty,
	listContractEvents,
	listContractsForUser,
	rentOffering,
	transitionContract
} from '../src/lib/server/contracts';
import { contractEvents, contracts, messageThreads, messages } from '../src/lib/server/db/schema';
import { getUnreadCount, listInbox, listMessages } from '../src/lib/server/messaging';
import {
	changeContractStatus,
	createContract,
	getContract,
	listContracts
} from '../src/lib/server/http/contracts-api';
import type { ContractAction } from '../src/lib/schemas/contracts';
import type { ContractStatus } from '../src/lib/types';
import { useTestDatabase } from './helpers/db';
import { apiEvent, makeWorld } from './helpers/fixtures';

const t = useTestDatabase();

describe('renting', () => {
	it('creates a requested contract between requester and provider, with its first event', async () => {
		const { provider, requester, offering, contract } = await makeWorld(t.db);
		expect(contract).toMatchObject({
			status: 'requested',
			offeringId: offering.id,
			title: 'GPU box',
			monthlyPriceCents: 34900,
			role: 'requester',
			requester: { id: requester.id },
			provider: { id: provider.id },
			counterpart: { id: provider.id, role: 'provider' }
		});
		const events = await listContractEvents(t.db, requester.id, contract.id);
		expect(events).toEqual([
			expect.objectContaining({
				fromStatus: null,
				toStatus: 'requested',
				actor: { id: requester.id, name: requester.displayName }
			})
		]);
	});

	it('refuses renting your own offering', async () => {
		const { provider, offering } = await makeWorld(t.db);
		await expect(rentOffering(t.db, provider.id, offering.id)).rejects.toBeInstanceOf(
			OwnOfferingError
		);
	});

	it('answers null for an offering that does not exist', async () => {
		const { requester } = await makeWorld(t.db);
		expect(
			await rentOffering(t.db, requester.id, '00000000-0000-4000-8000-00000000dead')
		).toBeNull();
	});

	it('is backed by database constraints as well', async () => {
		const { contract } = await makeWorld(t.db);
		await expect(
			t.db
				.update(contracts)
				.set({ status: 'paused' as never })
				.where(eq(contracts.id, contract.id))
		).rejects.toThrow();
		await expect(
			t.db
				.update(contracts)
				.set({ providerId: contract.requester.id })
				.where(eq(contracts.id, contract.id))
		).rejects.toThrow();
	});
});

describe('a note with the rental request', () => {
	/** Every row a rental request writes, for proving that a refused one wrote none. */
	async function countRows() {
		const [c, e, th, m] = await Promise.all(
			[contracts, contractEvents, messageThreads, messages].map((table) => t.db.$count(table))
		);
		return { contracts: c, events: e, threads: th, messages: m };
	}

	it('arrives as the first message of the conversation, unread for the provider', async () => {
		const { provider, stranger, offering } = await makeWorld(t.db);
		const contract = await rentOffering(t.db, stranger.id, offering.id, {
			message: 'Hello! Could I pick it up on Friday?'
		});
		const page = await listMessages(t.db, provider.id, contract!.id, { limit: 10 });
		expect(page?.messages).toHaveLength(1);
		expect(page?.messages[0]).toMatchObject({
			body: 'Hello! Could I pick it up on Friday?',
			senderId: stranger.id,
			senderRole: 'user',
			isOwn: false,
			isRead: false
		});
		expect(await getUnreadCount(t.db, provider.id)).toBe(1);
		expect(await getUnreadCount(t.db, stranger.id)).toBe(0);
		const inbox = await listInbox(t.db, provider.id, { limit: 10, unreadOnly: true });
		expect(inbox.threads.map((thread) => thread.contractId)).toEqual([contract!.id]);
	});

	it('opens no conversation without a note', async () => {
		const { provider, contract } = await makeWorld(t.db);
		expect((await listMessages(t.db, provider.id, contract.id, { limit: 10 }))?.messages).toEqual(
			[]
		);
		expect(await getUnreadCount(t.db, provider.id)).toBe(0);
	});

	it('is one transaction with the contract: a note the database refuses leaves no contract', async () => {
		const { stranger, offering } = await makeWorld(t.db);
		const before = await countRows();
		// Postgres stores no NUL character in text, so the message insert fails inside the
		// transaction, after the contract and its event were written (22021: invalid byte sequence).
		const error = await rentOffering(t.db, stranger.id, offering.id, {
			message: 'Hello\u0000there'
		}).catch((e: unknown) => e);
		expect((error as { cause?: { code?: string } }).cause?.code).toBe('22021');
		expect(await countRows()).toEqual(before);
		expect(await listContractsForUser(t.db, stranger.id)).toEqual([]);
	});

	it('is validated like any message over the API: a bad note is a 400 and creates nothing', async () => {
		const { provider, stranger, offering } = await makeWorld(t.db);
		const before = await countRows();
		for (const message of ['x'.repeat(10_001), 'Bell\u0007', 42]) {
			const response = await createContract(
				t.db,
				apiEvent(stranger, { method: 'POST', json: { offeringId: offering.id, message } })
			);
			expect(response.status).toBe(400);
			expect(await response.json()).toMatchObject({
				error: { code: 'invalid_body', details: { message: [expect.any(String)] } }
			});
		}
		expect(await countRows()).toEqual(before);

		// Blank is no note; a note is trimmed and its line breaks normalised, as a message is.
		const blank = await createContract(
			t.db,
			apiEvent(stranger, { method: 'POST', json: { offeringId: offering.id, message: ' \n ' } })
		);
		expect(blank.status).toBe(201);
		expect(await t.db.$count(messages)).toBe(before.messages);
		const created = await createContract(
			t.db,
			apiEvent(stranger, {
				method: 'POST',
				json: { offeringId: offering.id, message: '  Two lines\r\nplease  ' }
			})
		);
		expect(created.status).toBe(201);
		const { id } = await created.json();
		const page = await listMessages(t.db, provider.id, id, { limit: 10 });
		expect(page?.messages.map((m) => m.body)).toEqual(['Two lines\nplease']);
	});
});

describe('who sees what', () => {
	it('shows a contract to its two parties only', async () => {
		const { provider, requester, stranger, contract } = await makeWorld(t.db);
		expect((await getContractForParty(t.db, requester.id, contract.id))?.role).toBe('requester');
		expect((await getContractForParty(t.db, provider.id, contract.id))?.role).toBe('provider');
		expect(await getContractForParty(t.db, stranger.id, contract.id)).toBeNull();
		expect(await listContractEvents(t.db, stranger.id, contract.id)).toBeNull();
	});

	it('lists contracts where I rent and where I provide, and nothing else', async () => {
		const a = await makeWorld(t.db);
		const b = await makeWorld(t.db);
		// a's provider rents b's offering: they now rent one thing and provide another.
		await rentOffering(t.db, a.provider.id, b.offering.id);
		const mine = await listContractsForUser(t.db, a.provider.id);
		expect(mine.map((c) => c.role).sort()).toEqual(['provider', 'requester']);
		expect(await listContractsForUser(t.db, a.stranger.id)).toEqual([]);
		expect((await listContractsForUser(t.db, b.requester.id)).map((c) => c.id)).toEqual([
			b.contract.id
		]);
	});
});

type Who = 'requester' | 'provider';
const ALL_STATUSES: ContractStatus[] = [
	'requested',
	'active',
	'rejected',
	'cancelled',
	'completed'
];
const ALLOWED: Record<ContractAction, { from: ContractStatus[]; by: Who[]; to: ContractStatus }> = {
	accept: { from: ['requested'], by: ['provider'], to: 'active' },
	reject: { from: ['requested'], by: ['provider'], to: 'rejected' },
	cancel: { from: ['requested', 'active'], by: ['requester', 'provider'], to: 'cancelled' },
	complete: { from: ['active'], by: ['provider'], to: 'completed' }
};

describe('status transitions', () => {
	// Every action, by each party, from every status: allowed ones move and are recorded,
	// refused ones change nothing.
	for (const action of Object.keys(ALLOWED) as ContractAction[]) {
		for (const from of ALL_STATUSES) {
			for (const who of ['requester', 'provider'] as Who[]) {
				const rule = ALLOWED[action];
				const allowed = rule.from.includes(from) && rule.by.includes(who);
				it(`${who} ${action} from ${from}: ${allowed ? `-> ${rule.to}` : 'refused'}`, async () => {
					const world = await makeWorld(t.db);
					await t.db
						.update(contracts)
						.set({ status: from })
						.where(eq(contracts.id, world.contract.id));
					const actor = world[who];
					const before = (await listContractEvents(t.db, actor.id, world.contract.id))!.length;
					if (allowed) {
						const after = await transitionContract(t.db, actor.id, world.contract.id, action);
						expect(after?.status).toBe(rule.to);
						const events = (await listContractEvents(t.db, actor.id, world.contract.id))!;
						expect(events).toHaveLength(before + 1);
						expect(events.at(-1)).toMatchObject({
							actor: { id: actor.id },
							fromStatus: from,
							toStatus: rule.to
						});
					} else {
						const error = await transitionContract(t.db, actor.id, world.contract.id, action).catch(
							(e) => e
						);
						const expected = rule.by.includes(who)
							? InvalidTransitionError
							: ForbiddenTransitionError;
						expect(error).toBeInstanceOf(expected);
						const unchanged = await getContractForParty(t.db, actor.id, world.contract.id);
						expect(unchanged?.status).toBe(from);
						expect(await listContractEvents(t.db, actor.id, world.contract.id)).toHaveLength(
							before
						);
					}
				});
			}
		}
	}

	it('gives a stranger nothing to act on', async () => {
		const { stranger, contract } = await makeWorld(t.db);
		expect(await transitionContract(t.db, stranger.id, contract.id, 'cancel')).toBeNull();
	});

	it('lets only one of two concurrent changes from the same status win', async () => {
		const { provider, contract } = await makeWorld(t.db);
		const results = await Promise.allSettled([
			transitionContract(t.db, provider.id, contract.id, 'accept'),
			transitionContract(t.db, provider.id, contract.id, 'reject')
		]);
		expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
		const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
		expect(refused.reason).toBeInstanceOf(InvalidTransitionError);
		const events = (await listContractEvents(t.db, provider.id, contract.id))!;
		expect(events).toHaveLength(2);
	});
});

describe('JSON API', () => {
	it('answers 401 without a session on every contract endpoint', async () => {
		const { contract } = await makeWorld(t.db);
		const params = { id: contract.id };
		for (const response of [
			await listContracts(t.db, apiEvent(null)),
			await createContract(
				t.db,
				apiEvent(null, { method: 'POST', json: { offeringId: contract.offeringId } })
			),
			await getContract(t.db, apiEvent(null, { params })),
			await changeContractStatus(
				t.db,
				apiEvent(null, { method: 'PATCH', params, json: { status: 'active' } })
			)
		]) {
			expect(response.status).toBe(401);
			expect(await response.json()).toMatchObject({ error: { code: 'unauthorized' } });
		}
	});

	it('answers 404 to a stranger, exactly as for a contract that does not exist', async () => {
		const { stranger, contract } = await makeWorld(t.db);
		const missing = '00000000-0000-4000-8000-00000000beef';
		for (const id of [contract.id, missing, 'not-a-uuid']) {
			const get = await getContract(t.db, apiEvent(stranger, { params: { id } }));
			expect(get.status).toBe(404);
			const patch = await changeContractStatus(
				t.db,
				apiEvent(stranger, { method: 'PATCH', params: { id }, json: { status: 'cancelled' } })
			);
			expect(patch.status).toBe(404);
			expect(await patch.json()).toEqual({
				error: { code: 'not_found', message: 'No such contract.' }
			});
		}
	});

	it('rents over the API, and refuses renting your own offering with 409', async () => {
		const { provider, stranger, offering } = await makeWorld(t.db);
		const created = await createContract(
			t.db,
			apiEvent(stranger, { method: 'POST', json: { offeringId: offering.id } })
		);
		expect(created.status).toBe(201);
		expect(await created.json()).toMatchObject({
			status: 'requested',
			role: 'requester',
			allowedActions: ['cancel']
		});
		const own = await createContract(
			t.db,
			apiEvent(provider, { method: 'POST', json: { offeringId: offering.id } })
		);
		expect(own.status).toBe(409);
		expect((await own.json()).error.message).toBe('You cannot rent your own offering.');
	});

	it('moves a contract, and answers 409 for an invalid transition and 403 for the wrong party', async () => {
		const { provider, requester, contract } = await makeWorld(t.db);
		const params = { id: contract.id };
		const wrongParty = await changeContractStatus(
			t.db,
			apiEvent(requester, { method: 'PATCH', params, json: { status: 'active' } })
		);
		expect(wrongParty.status).toBe(403);
		const accepted = await changeContractStatus(
			t.db,
			apiEvent(provider, { method: 'PATCH', params, json: { status: 'active' } })
		);
		expect(accepted.status).toBe(200);
		expect(await accepted.json()).toMatchObject({
			status: 'active',
			allowedActions: ['cancel', 'complete']
		});
		const again = await changeContractStatus(
			t.db,
			apiEvent(provider, { method: 'PATCH', params, json: { status: 'rejected' } })
		);
		expect(again.status).toBe(409);
		expect(await again.json()).toMatchObject({ error: { code: 'conflict' } });
	});

	it('validates the body: not JSON, wrong content type, unknown status, too large', async () => {
		const { provider, contract } = await makeWorld(t.db);
		const params = { id: contract.id };
		const notJson = await changeContractStatus(
			t.db,
			apiEvent(provider, {
				method: 'PATCH',
				params,
				body: '{oops',
				headers: { 'content-type': 'application/json' }
			})
		);
		expect(notJson.status).toBe(400);
		const wrongType = await changeContractStatus(
			t.db,
			apiEvent(provider, {
				method: 'PATCH',
				params,
				body: 'status=active',
				headers: { 'content-type': 'application/x-www-form-urlencoded' }
			})
		);
		expect(wrongType.status).toBe(415);
		const unknown = await changeContractStatus(
			t.db,
			apiEvent(provider, { method: 'PATCH', params, json: { status: 'paused' } })
		);
		expect(unknown.status).toBe(400);
		expect((await unknown.json()).error.message).toMatch(/Status must be/);
		const huge = await changeContractStatus(
			t.db,
			apiEvent(provider, {
				method: 'PATCH',
				params,
				json: { status: 'active', pad: 'x'.repeat(70_000) }
			})
		);
		expect(huge.status).toBe(413);
		expect((await getContractForParty(t.db, provider.id, contract.id))?.status).toBe('requested');
	});
});
