import { listContractsForUser } from '$lib/server/contracts';
import { getDb } from '$lib/server/db';
import { requireUser } from '$lib/server/guards';
import { getUnreadByContract } from '$lib/server/messaging/read-state';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
	const user = requireUser(locals, url);
	const db = getDb();
	const [contracts, unread] = await Promise.all([
		listContractsForUser(db, user.id),
		getUnreadByContract(db, user.id)
	]);
	const rows = contracts.map((c) => ({ ...c, unread: unread.get(c.id) ?? 0 }));
	return {
		title: 'Rentals',
		renting: rows.filter((c) => c.role === 'requester'),
		providing: rows.filter((c) => c.role === 'provider')
	};
};
