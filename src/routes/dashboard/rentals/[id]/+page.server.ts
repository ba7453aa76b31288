import { error } from '@sveltejs/kit';
import { uuidSchema, type ContractAction } from '$lib/schemas/contracts';
import { allowedActions, listContractEvents, transitionContract } from '$lib/server/contracts';
import { getDb } from '$lib/server/db';
import { requirePartyContract, requireUser } from '$lib/server/guards';
import { failFromDomainError } from '$lib/server/http/actions';
import { getThreadForContract } from '$lib/server/messaging/threads';
import type { Actions, PageServerLoad, RequestEvent } from './$types';

export const load: PageServerLoad = async ({ locals, params, url, depends }) => {
	depends('app:messages');
	const user = requireUser(locals, url);
	const db = getDb();
	const contract = await requirePartyContract(db, user.id, params.id);
	return {
		title: contract.title,
		unreadInThread: (await getThreadForContract(db, user.id, contract.id))?.unreadCount ?? 0,
		contract,
		events: (await listContractEvents(db, user.id, contract.id)) ?? [],
		actions: allowedActions(contract.status, contract.role)
	};
};

function transitionAction(action: ContractAction) {
	return async ({ locals, params, url }: RequestEvent) => {
		const user = requireUser(locals, url);
		const id = uuidSchema.safeParse(params.id);
		if (!id.success) error(404, 'Not found');
		try {
			const contract = await transitionContract(getDb(), user.id, id.data, action);
			if (!contract) error(404, 'Not found');
			return { done: action };
		} catch (err) {
			return failFromDomainError(err, (message) => ({ message }));
		}
	};
}

export const actions: Actions = {
	accept: transitionAction('accept'),
	reject: transitionAction('reject'),
	cancel: transitionAction('cancel'),
	complete: transitionAction('complete')
};
