import { error, redirect } from '@sveltejs/kit';
import { uuidSchema } from '$lib/schemas/contracts';
import { getContractForParty, type ContractView } from './contracts';
import type { Db } from './db';
import type { SessionUser } from './auth';
import { isOperator } from './moderation/admin';

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

/**
 * For everything under /admin: the signed-in operator, else the 404 page (signed out included),
 * so the admin area does not announce itself.
 */
export async function requireOperator(db: Db, locals: App.Locals): Promise<SessionUser> {
	if (!locals.user || !(await isOperator(db, locals.user.id))) error(404, 'Not found');
	return locals.user;
}
