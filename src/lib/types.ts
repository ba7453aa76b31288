// Types shared by server and browser code; no server imports here.
export const CONTRACT_STATUSES = [
	'requested',
	'active',
	'rejected',
	'cancelled',
	'completed'
] as const;
export type ContractStatus = (typeof CONTRACT_STATUSES)[number];
