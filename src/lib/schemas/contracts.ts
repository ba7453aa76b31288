import { z } from 'zod';

export const CONTRACT_ACTIONS = ['accept', 'reject', 'cancel', 'complete'] as const;
export type ContractAction = (typeof CONTRACT_ACTIONS)[number];

export const uuidSchema = z.uuid({ error: 'Not a valid id.' });

export const rentSchema = z.object({ offeringId: uuidSchema });

export const contractActionSchema = z.object({
	action: z.enum(CONTRACT_ACTIONS, { error: 'Action must be accept, reject, cancel or complete.' })
});
