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
import { enforceRentalLimits } from '../limits';
import { notFound } from './api';
import { endpoint, type PathParam } from './endpoint';

export type { ApiEvent } from './endpoint';

const CONTRACT_NOT_FOUND = 'No such contract.';
const contractId: PathParam = { description: 'Contract id', notFound: CONTRACT_NOT_FOUND };

function contractJson(contract: ContractView) {
	return { ...contract, allowedActions: allowedActions(contract.status, contract.role) };
}

export const listContracts = endpoint({
	method: 'GET',
	path: '/api/contracts',
	summary: 'Contracts where I rent or provide',
	scope: 'contracts:read',
	responses: { 200: { description: 'The contracts' } },
	async handler({ db, user }) {
		const contracts = await listContractsForUser(db, user.id);
		return json({ contracts: contracts.map(contractJson) });
	}
});

export const createContract = endpoint({
	method: 'POST',
	path: '/api/contracts',
	summary:
		'Rent an offering: a contract in status requested, with an optional first message to the provider',
	body: rentSchema,
	responses: { 201: { description: 'The contract' } },
	errors: [404, 409, 429],
	async handler({ db, user, body }) {
		const { offeringId, message } = await body();
		await enforceRentalLimits(db, user.id, { opensConversation: !!message });
		const contract = await rentOffering(db, user.id, offeringId, { message });
		if (!contract) throw notFound('No such offering.');
		return json(contractJson(contract), { status: 201 });
	}
});

export const getContract = endpoint({
	method: 'GET',
	path: '/api/contracts/{id}',
	summary: 'One contract, with the actions open to me',
	scope: 'contracts:read',
	params: { id: contractId },
	responses: { 200: { description: 'The contract' } },
	async handler({ db, user, params }) {
		const contract = await getContractForParty(db, user.id, params.id);
		if (!contract) throw notFound(CONTRACT_NOT_FOUND);
		return json(contractJson(contract));
	}
});

export const changeContractStatus = endpoint({
	method: 'PATCH',
	path: '/api/contracts/{id}',
	summary: 'Change the contract’s status (accept, reject, cancel, complete)',
	params: { id: contractId },
	body: contractStatusChangeSchema,
	responses: { 200: { description: 'The contract' } },
	errors: [403, 409],
	async handler({ db, user, params, body }) {
		// Existence first, so a stranger learns nothing from validation errors.
		if (!(await getContractForParty(db, user.id, params.id))) throw notFound(CONTRACT_NOT_FOUND);
		const { status } = await body();
		const contract = await transitionContract(db, user.id, params.id, ACTION_FOR_STATUS[status]);
		if (!contract) throw notFound(CONTRACT_NOT_FOUND);
		return json(contractJson(contract));
	}
});
