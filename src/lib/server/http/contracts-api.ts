import { json } from '@sveltejs/kit';
import { ACTION_FOR_STATUS, contractStatusChangeSchema, rentSchema } from '$lib/schemas/contracts';
import {
	allowedActions,
	getContractForParty,
	listContractsForUser,
	rentOffering,
	transitionContract,
	type ContractView
} from '../contracts';
import type { Db } from '../db';
import { handleApi, notFound, readJsonBody, requireApiUser, uuidParam } from './api';

/** What a JSON endpoint needs of SvelteKit's RequestEvent; tests pass the same shape. */
export interface ApiEvent {
	request: Request;
	locals: App.Locals;
	params: Record<string, string | undefined>;
	url: URL;
}

const CONTRACT_NOT_FOUND = 'No such contract.';

function contractJson(contract: ContractView) {
	return { ...contract, allowedActions: allowedActions(contract.status, contract.role) };
}

export function listContracts(db: Db, event: ApiEvent) {
	return handleApi(async () => {
		const user = requireApiUser(event.locals);
		const contracts = await listContractsForUser(db, user.id);
		return json({ contracts: contracts.map(contractJson) });
	});
}

export function createContract(db: Db, event: ApiEvent) {
	return handleApi(async () => {
		const user = requireApiUser(event.locals);
		const { offeringId } = await readJsonBody(event.request, rentSchema);
		const contract = await rentOffering(db, user.id, offeringId);
		if (!contract) throw notFound('No such offering.');
		return json(contractJson(contract), { status: 201 });
	});
}

export function getContract(db: Db, event: ApiEvent) {
	return handleApi(async () => {
		const user = requireApiUser(event.locals);
		const id = uuidParam(event.params.id, CONTRACT_NOT_FOUND);
		const contract = await getContractForParty(db, user.id, id);
		if (!contract) throw notFound(CONTRACT_NOT_FOUND);
		return json(contractJson(contract));
	});
}

export function changeContractStatus(db: Db, event: ApiEvent) {
	return handleApi(async () => {
		const user = requireApiUser(event.locals);
		const id = uuidParam(event.params.id, CONTRACT_NOT_FOUND);
		// Existence first, so a stranger learns nothing from validation errors.
		if (!(await getContractForParty(db, user.id, id))) throw notFound(CONTRACT_NOT_FOUND);
		const { status } = await readJsonBody(event.request, contractStatusChangeSchema);
		const contract = await transitionContract(db, user.id, id, ACTION_FOR_STATUS[status]);
		if (!contract) throw notFound(CONTRACT_NOT_FOUND);
		return json(contractJson(contract));
	});
}
