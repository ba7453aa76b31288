import { describe, expect, it } from 'vitest';
import { authenticate } from '../src/lib/server/auth';
import { listContractsForUser } from '../src/lib/server/contracts';
import { listMessages } from '../src/lib/server/messaging';
import { getUnreadCount } from '../src/lib/server/messaging/read-state';
import { offerings, users } from '../src/lib/server/db/schema';
import { listOfferings } from '../src/lib/server/offerings';
import { DEMO_PASSWORD, seedDemoData } from '../src/lib/server/seed';
import { CONTRACT_STATUSES } from '../src/lib/types';
import { useTestDatabase } from './helpers/db';

const t = useTestDatabase();

describe('demo data', () => {
	it('builds the demo world once, however often it runs', async () => {
		const first = await seedDemoData(t.db);
		expect(first).toEqual({ usersCreated: 5, offeringsCreated: 6, contractsCreated: 10 });
		const second = await seedDemoData(t.db);
		expect(second).toEqual({ usersCreated: 0, offeringsCreated: 0, contractsCreated: 0 });
		const seeded = await t.db.select().from(users);
		expect(seeded).toHaveLength(5);
		// Confirmed, so `npm run dev` shows the emails the demo conversations cause.
		expect(seeded.every((u) => u.emailConfirmedAt !== null)).toBe(true);
		// The demo operator reaches /admin; nobody else is one.
		expect(seeded.filter((u) => u.role === 'operator').map((u) => u.email)).toEqual([
			'operator@example.com'
		]);
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

	it('writes the conversations and status messages, with a few left unread', async () => {
		await seedDemoData(t.db);
		const login = (email: string) =>
			authenticate(t.db, { email, password: DEMO_PASSWORD, ip: '127.0.0.1' });
		const [rita, paul, priya, oscar] = await Promise.all(
			[
				'renter@example.com',
				'provider@example.com',
				'provider2@example.com',
				'other@example.com'
			].map(login)
		);
		expect(await getUnreadCount(t.db, rita!.id)).toBe(2);
		expect(await getUnreadCount(t.db, paul!.id)).toBe(1);
		expect(await getUnreadCount(t.db, priya!.id)).toBe(0);
		expect(await getUnreadCount(t.db, oscar!.id)).toBe(0);
		const gpu = (await listMessages(t.db, rita!.id, '00000000-0000-4000-8000-000000000301', {
			limit: 50
		}))!;
		expect(gpu.messages.map((m) => m.senderRole)).toEqual([
			'user',
			'system',
			'user',
			'user',
			'user'
		]);
		expect(gpu.messages[1]!.body).toBe('Paul Provider accepted the rental');
		const times = gpu.messages.map((m) => m.createdAt);
		expect([...times].sort()).toEqual(times);
		expect(gpu.thread!.createdAt).toBe(times[0]);
		// A second run adds no messages.
		await seedDemoData(t.db);
		expect(
			(await listMessages(t.db, rita!.id, '00000000-0000-4000-8000-000000000301', { limit: 50 }))!
				.messages
		).toHaveLength(5);
	});
});
