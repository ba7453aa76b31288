import { error, redirect } from '@sveltejs/kit';
import { uuidSchema } from '$lib/schemas/contracts';
import { getContractForParty, type ContractView } from './contracts';
import type { Db } from './db';
import type { SessionUser } from './auth';

/** For pages and form actions: the signed-in user, or a redirect to /login that comes back here. */
export function requireUser(locals: App.Locals, url: URL): SessionUser {
	if (!locals.user) {
		redirect(303, `/login?redirectTo=${encodeURIComponent(url.pathname + url.search)}`);
	}
	return locals.user;
}

/** For pages under /dashboard/rentals/[id]: the contract if the user is a party, else the 404 page. */
export async function requirePartyContract(
	db: Db,
	userId: string,
	rawId: string | undefined
): Promise<ContractView> {
	const id = uuidSchema.safeParse(rawId);
	const contract = id.success ? await getContractForParty(db, userId, id.data) : null;
	if (!contract) error(404, 'Not found');
	return contract;
}
