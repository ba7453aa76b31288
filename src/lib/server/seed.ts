import { eq, sql } from 'drizzle-orm';
import { hashPassword } from './auth';
import type { Db } from './db';
import { contractEvents, contracts, offerings, users, type ContractStatus } from './db/schema';

export const DEMO_PASSWORD = 'parley-demo';

export const DEMO_USERS = [
	{ key: 'renter', email: 'renter@example.com', displayName: 'Rita Renter' },
	{ key: 'provider', email: 'provider@example.com', displayName: 'Paul Provider' },
	{ key: 'provider2', email: 'provider2@example.com', displayName: 'Priya Provider' },
	{ key: 'other', email: 'other@example.com', displayName: 'Oscar Outsider' }
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
			.values({ email: demo.email, displayName: demo.displayName, passwordHash })
			.onConflictDoNothing()
			.returning({ id: users.id });
		if (inserted[0]) result.usersCreated++;
		const [row] = await db
			.select({ id: users.id })
			.from(users)
			.where(eq(sql`lower(${users.email})`, demo.email));
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
			let at = createdAt.getTime();
			for (const event of events) {
				await tx.insert(contractEvents).values({
					contractId: plan.id,
					actorId: event.by,
					fromStatus: event.from,
					toStatus: event.to,
					createdAt: new Date(at)
				});
				at += 6 * 60 * 60 * 1000;
			}
			await tx
				.update(contracts)
				.set({ updatedAt: new Date(at) })
				.where(eq(contracts.id, plan.id));
		});
	}
	return result;
}

export function demoLoginsText(): string {
	const lines = DEMO_USERS.map((u) => `  ${u.email.padEnd(24)} ${u.displayName}`);
	return [`Demo logins (password "${DEMO_PASSWORD}"):`, ...lines].join('\n');
}
