import { z } from 'zod';
import { messageBodySchema, normalizeMessageBody } from './messaging';

export const CONTRACT_ACTIONS = ['accept', 'reject', 'cancel', 'complete'] as const;
export type ContractAction = (typeof CONTRACT_ACTIONS)[number];

export const uuidSchema = z.uuid({ error: 'Not a valid id.' });

/** The renter's optional first message to the provider: a message like any other; blank is none. */
export const rentNoteSchema = z
	.preprocess(
		(value) =>
			typeof value === 'string' && normalizeMessageBody(value) === '' ? undefined : value,
		messageBodySchema.optional()
	)
	.meta({
		description:
			'An optional first message to the provider, which opens the conversation: trimmed, up to 10,000 characters, no control characters but newline and tab; blank means none.'
	});

export const rentSchema = z.object({ offeringId: uuidSchema, message: rentNoteSchema });

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
