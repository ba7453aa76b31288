import { and, eq, isNotNull, sql } from 'drizzle-orm';
import { hashPassword } from './auth';
import type { Db } from './db';
import { describeContractEvent } from '../contract-text';
import { contractEvents, contracts, offerings, users, type ContractStatus } from './db/schema';
import { appendMessage } from './messaging/append';
import { markThreadRead } from './messaging/read-state';

export const DEMO_PASSWORD = 'parley-demo';

export const DEMO_USERS = [
	{ key: 'renter', email: 'renter@example.com', displayName: 'Rita Renter' },
	{ key: 'provider', email: 'provider@example.com', displayName: 'Paul Provider' },
	{ key: 'provider2', email: 'provider2@example.com', displayName: 'Priya Provider' },
	{ key: 'other', email: 'other@example.com', displayName: 'Oscar Outsider' },
	// Reaches /admin/reports (trust and safety); a party of no rental.
	{ key: 'operator', email: 'operator@example.com', displayName: 'Olga Operator', role: 'operator' }
] as const;

type DemoUserKey = (typeof DEMO_USERS)[number]['key'];

// Fixed ids make the seed idempotent: a second run finds every row already there.
const OFFERINGS: {
	id: string;
	provider: DemoUserKey;
	name: string;
	description: string;
	cents: number;
}[] = [
	{
		id: '00000000-0000-4000-8000-000000000101',
		provider: 'provider',
		name: 'GPU box (RTX 4090, 64 GB RAM)',
		description: 'A dedicated workstation for training and rendering, reachable over SSH.',
		cents: 34900
	},
	{
		id: '00000000-0000-4000-8000-000000000102',
		provider: 'provider',
		name: 'Quiet studio desk',
		description: 'A desk by the window in a shared studio, with a locker and fast Wi-Fi.',
		cents: 18000
	},
	{
		id: '00000000-0000-4000-8000-000000000103',
		provider: 'provider',
		name: 'Cargo e-bike',
		description: 'Long-tail cargo bike with two batteries, good for 80 km a day.',
		cents: 9900
	},
	{
		id: '00000000-0000-4000-8000-000000000201',
		provider: 'provider2',
		name: 'Storage unit, 10 m²',
		description: 'Dry, heated and alarmed; access every day from 6:00 to 22:00.',
		cents: 12000
	},
	{
		id: '00000000-0000-4000-8000-000000000202',
		provider: 'provider2',
		name: 'Camera kit (mirrorless + 3 lenses)',
		description: 'Full-frame body, 24-70, 85 and 16-35 lenses, two batteries and a bag.',
		cents: 22500
	},
	{
		id: '00000000-0000-4000-8000-000000000203',
		provider: 'provider2',
		name: 'Parking space near the station',
		description: 'Covered space with a charging point, two minutes from the trains.',
		cents: 7500
	}
];

/** How each demo status is reached, from `requested`, and by whom. */
const HISTORY: Record<ContractStatus, { to: ContractStatus; by: 'requester' | 'provider' }[]> = {
	requested: [],
	active: [{ to: 'active', by: 'provider' }],
	rejected: [{ to: 'rejected', by: 'provider' }],
	cancelled: [
		{ to: 'active', by: 'provider' },
		{ to: 'cancelled', by: 'requester' }
	],
	completed: [
		{ to: 'active', by: 'provider' },
		{ to: 'completed', by: 'provider' }
	]
};

const CONTRACT_PLAN: { id: string; offeringId: string; status: ContractStatus; daysAgo: number }[] =
	[
		['00000000-0000-4000-8000-000000000301', OFFERINGS[0]!, 'active', 12],
		['00000000-0000-4000-8000-000000000302', OFFERINGS[1]!, 'requested', 1],
		['00000000-0000-4000-8000-000000000303', OFFERINGS[2]!, 'completed', 90],
		['00000000-0000-4000-8000-000000000304', OFFERINGS[1]!, 'rejected', 40],
		['00000000-0000-4000-8000-000000000305', OFFERINGS[2]!, 'cancelled', 25],
		['00000000-0000-4000-8000-000000000401', OFFERINGS[3]!, 'active', 20],
		['00000000-0000-4000-8000-000000000402', OFFERINGS[4]!, 'requested', 2],
		['00000000-0000-4000-8000-000000000403', OFFERINGS[5]!, 'completed', 120],
		['00000000-0000-4000-8000-000000000404', OFFERINGS[4]!, 'rejected', 33],
		['00000000-0000-4000-8000-000000000405', OFFERINGS[5]!, 'cancelled', 15]
	].map(([id, offering, status, daysAgo]) => ({
		id: id as string,
		offeringId: (offering as (typeof OFFERINGS)[number]).id,
		status: status as ContractStatus,
		daysAgo: daysAgo as number
	}));

interface Line {
	from: 'renter' | 'provider';
	text: string;
	/** Hours after the contract was requested. */
	hours: number;
	/** This line and every later one stay unread for their recipient. */
	unread?: boolean;
}

const CONVERSATIONS: Record<string, Line[]> = {
	'00000000-0000-4000-8000-000000000301': [
		{
			from: 'renter',
			hours: 1,
			text: "Hi Paul! Is the GPU box free from Monday? I'd like to run a two-week training job."
		},
		{
			from: 'provider',
			hours: 7,
			text: "Yes, it's yours from Monday. I'll send the SSH details the day before."
		},
		{ from: 'renter', hours: 8, text: 'Perfect, thank you!' },
		{
			from: 'provider',
			hours: 24 * 10,
			unread: true,
			text: 'SSH details: user rita, port 2222. The key you sent is installed.\nDocs: https://example.com/gpu-box'
		}
	],
	'00000000-0000-4000-8000-000000000302': [
		{
			from: 'renter',
			hours: 2,
			unread: true,
			text: 'Could I see the desk on Thursday before committing?'
		}
	],
	'00000000-0000-4000-8000-000000000303': [
		{ from: 'renter', hours: 3, text: 'Does the bike come with a lock?' },
		{ from: 'provider', hours: 5, text: 'Two locks, and a rain cover for the cargo box.' },
		{ from: 'renter', hours: 24 * 60, text: 'Bike is back in the shed. Thanks, it was great!' }
	],
	'00000000-0000-4000-8000-000000000401': [
		{ from: 'provider', hours: 7, text: 'Welcome! Your access code is on its way by SMS.' },
		{ from: 'renter', hours: 9, text: 'Got it, thanks!' }
	],
	'00000000-0000-4000-8000-000000000402': [
		{ from: 'renter', hours: 1, text: 'Does the kit include a charger for both batteries?' },
		{
			from: 'provider',
			hours: 20,
			unread: true,
			text: 'It does, a dual charger. Happy to confirm whenever you are ready.'
		}
	]
};

function providerName(key: DemoUserKey): string {
	return DEMO_USERS.find((u) => u.key === key)!.displayName;
}

export interface SeedResult {
	usersCreated: number;
	offeringsCreated: number;
	contractsCreated: number;
}

/** Creates the demo world; safe to run any number of times. */
export async function seedDemoData(db: Db): Promise<SeedResult> {
	const result: SeedResult = { usersCreated: 0, offeringsCreated: 0, contractsCreated: 0 };
	const passwordHash = await hashPassword(DEMO_PASSWORD);
	const ids = {} as Record<DemoUserKey, string>;

	for (const demo of DEMO_USERS) {
		const inserted = await db
			.insert(users)
			.values({
				email: demo.email,
				displayName: demo.displayName,
				passwordHash,
				role: 'role' in demo ? demo.role : 'user',
				// The demo addresses are ours (example.com): confirmed, so the emails can be tried.
				emailConfirmedAt: new Date()
			})
			.onConflictDoNothing()
			.returning({ id: users.id });
		if (inserted[0]) result.usersCreated++;
		const [row] = await db
			.select({ id: users.id })
			.from(users)
			.where(and(eq(sql`lower(${users.email})`, demo.email), isNotNull(users.emailConfirmedAt)));
		ids[demo.key] = row!.id;
	}

	const now = Date.now();
	const day = 24 * 60 * 60 * 1000;
	for (const [i, o] of OFFERINGS.entries()) {
		const createdAt = new Date(now - (200 - i) * day);
		const inserted = await db
			.insert(offerings)
			.values({
				id: o.id,
				providerId: ids[o.provider],
				name: o.name,
				description: o.description,
				monthlyPriceCents: o.cents,
				createdAt,
				updatedAt: createdAt
			})
			.onConflictDoNothing()
			.returning({ id: offerings.id });
		if (inserted[0]) result.offeringsCreated++;
	}

	for (const plan of CONTRACT_PLAN) {
		const offering = OFFERINGS.find((o) => o.id === plan.offeringId)!;
		const providerId = ids[offering.provider];
		const requesterId = ids.renter;
		await db.transaction(async (tx) => {
			const createdAt = new Date(now - plan.daysAgo * day);
			const inserted = await tx
				.insert(contracts)
				.values({
					id: plan.id,
					offeringId: offering.id,
					requesterId,
					providerId,
					title: offering.name,
					monthlyPriceCents: offering.cents,
					status: plan.status,
					createdAt,
					updatedAt: createdAt
				})
				.onConflictDoNothing()
				.returning({ id: contracts.id });
			if (!inserted[0]) return;
			result.contractsCreated++;
			const events = [{ from: null, to: 'requested' as ContractStatus, by: requesterId }];
			let from: ContractStatus = 'requested';
			for (const step of HISTORY[plan.status]) {
				events.push({
					from: from as never,
					to: step.to,
					by: step.by === 'provider' ? providerId : requesterId
				});
				from = step.to;
			}
			// One timeline per contract: status changes (with their system messages) and the
			// conversation, in time order. The last lines of some conversations are left unread.
			const HOUR = 60 * 60 * 1000;
			type Entry = { at: number; event?: (typeof events)[number]; say?: Line };
			const timeline: Entry[] = events.map((event, i) => ({
				at: createdAt.getTime() + i * 6 * HOUR,
				event
			}));
			for (const line of CONVERSATIONS[plan.id] ?? []) {
				timeline.push({ at: createdAt.getTime() + line.hours * HOUR, say: line });
			}
			timeline.sort((a, b) => a.at - b.at);
			const names = { [requesterId]: 'Rita Renter', [providerId]: providerName(offering.provider) };
			let markedRead = false;
			for (const entry of timeline) {
				const at = new Date(Math.min(entry.at, now - 60_000));
				if (entry.say?.unread && !markedRead) {
					await markThreadRead(tx, requesterId, plan.id);
					await markThreadRead(tx, providerId, plan.id);
					markedRead = true;
				}
				if (entry.event) {
					const e = entry.event;
					await tx.insert(contractEvents).values({
						contractId: plan.id,
						actorId: e.by,
						fromStatus: e.from,
						toStatus: e.to,
						createdAt: at
					});
					if (e.from) {
						await appendMessage(tx, { kind: 'system', causedBy: e.by }, plan.id, {
							body: describeContractEvent(names[e.by]!, e.to),
							at
						});
					}
				} else if (entry.say) {
					const sender = entry.say.from === 'renter' ? requesterId : providerId;
					await appendMessage(tx, { kind: 'user', userId: sender }, plan.id, {
						body: entry.say.text,
						at
					});
				}
			}
			if (!markedRead) {
				await markThreadRead(tx, requesterId, plan.id);
				await markThreadRead(tx, providerId, plan.id);
			}
			// The thread began with the contract's history, not when the seed ran.
			await tx.execute(
				sql`update message_threads set created_at = (select min(created_at) from messages m where m.thread_id = message_threads.id) where contract_id = ${plan.id}`
			);
			const last = timeline.at(-1)!.at;
			await tx
				.update(contracts)
				.set({ updatedAt: new Date(Math.min(last, now - 60_000)) })
				.where(eq(contracts.id, plan.id));
		});
	}
	return result;
}

export function demoLoginsText(): string {
	const lines = DEMO_USERS.map((u) => `  ${u.email.padEnd(24)} ${u.displayName}`);
	return [`Demo logins (password "${DEMO_PASSWORD}"):`, ...lines].join('\n');
}
