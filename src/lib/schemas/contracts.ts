import { z } from 'zod';

export const CONTRACT_ACTIONS = ['accept', 'reject', 'cancel', 'complete'] as const;
export type ContractAction = (typeof CONTRACT_ACTIONS)[number];

export const uuidSchema = z.uuid({ error: 'Not a valid id.' });

export const rentSchema = z.object({ offeringId: uuidSchema });

export const contractActionSchema = z.object({
	action: z.enum(CONTRACT_ACTIONS, { error: 'Action must be accept, reject, cancel or complete.' })
});

/** The JSON API moves a contract by naming the status it should reach. */
export const contractStatusChangeSchema = z.object({
	status: z.enum(['active', 'rejected', 'cancelled', 'completed'], {
		error: 'Status must be active, rejected, cancelled or completed.'
	})
});

export const ACTION_FOR_STATUS = {
	active: 'accept',
	rejected: 'reject',
	cancelled: 'cancel',
	completed: 'complete'
} as const satisfies Record<z.output<typeof contractStatusChangeSchema>['status'], ContractAction>;
