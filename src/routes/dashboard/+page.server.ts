import { listContractsForUser } from '$lib/server/contracts';
import { getDb } from '$lib/server/db';
import { requireUser } from '$lib/server/guards';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
	const user = requireUser(locals, url);
	const contracts = await listContractsForUser(getDb(), user.id);
	const count = (role: 'requester' | 'provider', status: string) =>
		contracts.filter((c) => c.role === role && c.status === status).length;
	return {
		title: 'Dashboard',
		renting: { requested: count('requester', 'requested'), active: count('requester', 'active') },
		providing: { requested: count('provider', 'requested'), active: count('provider', 'active') },
		recent: contracts.slice(0, 5)
	};
};
