import { listContractsForUser } from '$lib/server/contracts';
import { getDb } from '$lib/server/db';
import { requireUser } from '$lib/server/guards';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
	const user = requireUser(locals, url);
	const contracts = await listContractsForUser(getDb(), user.id);
	return {
		renting: contracts.filter((c) => c.role === 'requester'),
		providing: contracts.filter((c) => c.role === 'provider')
	};
};
