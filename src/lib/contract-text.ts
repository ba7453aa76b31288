import type { ContractStatus } from './types';

const VERBS: Record<ContractStatus, string> = {
	requested: 'requested the rental',
	active: 'accepted the rental',
	rejected: 'rejected the rental request',
	cancelled: 'cancelled the rental',
	completed: 'marked the rental completed'
};

/** "Paul Provider accepted the rental": the history line and the thread's system message alike. */
export function describeContractEvent(actorName: string, toStatus: ContractStatus): string {
	return `${actorName} ${VERBS[toStatus]}`;
}
