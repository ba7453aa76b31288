import { describe, expect, it } from 'vitest';
import { authenticate } from '../src/lib/server/auth';
import { listContractsForUser } from '../src/lib/server/contracts';
import { offerings, users } from '../src/lib/server/db/schema';
import { listOfferings } from '../src/lib/server/offerings';
import { DEMO_PASSWORD, seedDemoData } from '../src/lib/server/seed';
import { CONTRACT_STATUSES } from '../src/lib/types';
import { useTestDatabase } from './helpers/db';

const t = useTestDatabase();

describe('demo data', () => {
	it('builds the demo world once, however often it runs', async () => {
		const first = await seedDemoData(t.db);
		expect(first).toEqual({ usersCreated: 4, offeringsCreated: 6, contractsCreated: 10 });
		const second = await seedDemoData(t.db);
		expect(second).toEqual({ usersCreated: 0, offeringsCreated: 0, contractsCreated: 0 });
		expect(await t.db.select().from(users)).toHaveLength(4);
		expect(await t.db.select().from(offerings)).toHaveLength(6);
		expect(await listOfferings(t.db)).toHaveLength(6);
	});

	it('gives Rita contracts with both providers in every status, and Oscar none', async () => {
		await seedDemoData(t.db);
		const rita = await authenticate(t.db, {
			email: 'renter@example.com',
			password: DEMO_PASSWORD,
			ip: '127.0.0.1'
		});
		const oscar = await authenticate(t.db, {
			email: 'other@example.com',
			password: DEMO_PASSWORD,
			ip: '127.0.0.1'
		});
		const contracts = await listContractsForUser(t.db, rita.id);
		for (const provider of ['Paul Provider', 'Priya Provider']) {
			const statuses = contracts.filter((c) => c.provider.name === provider).map((c) => c.status);
			expect(statuses.sort()).toEqual([...CONTRACT_STATUSES].sort());
		}
		expect(await listContractsForUser(t.db, oscar.id)).toEqual([]);
	});
});
