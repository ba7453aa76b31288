import { z } from 'zod';

// Reports and blocks (trust and safety): one set of schemas for the forms on the conversation
// page, the JSON API and the admin page.

import { REPORT_NOTE_MAX, REPORT_REASONS } from '$lib/report-rules';

export { REPORT_NOTE_MAX, REPORT_REASON_LABELS, REPORT_REASONS } from '$lib/report-rules';
export type { ReportReason } from '$lib/report-rules';

export const reportSchema = z
	.object({
		reason: z.enum(REPORT_REASONS, { error: 'Choose a reason.' }),
		note: z
			.string({ error: 'The note must be text.' })
			.trim()
			.max(REPORT_NOTE_MAX, `Keep the note under ${REPORT_NOTE_MAX} characters.`)
			.default(''),
		block: z
			.boolean({ error: 'block must be true or false.' })
			.default(false)
			.meta({ description: 'Also block the person: no new rentals with them.' })
	})
	.superRefine((value, ctx) => {
		if (value.reason === 'other' && value.note === '') {
			ctx.addIssue({ code: 'custom', path: ['note'], message: 'Say what is wrong.' });
		}
	})
	.meta({ id: 'Report' });

export const reportCreatedSchema = z
	.object({
		id: z.uuid(),
		status: z.enum(['open', 'dismissed', 'actioned']),
		blocked: z.boolean().meta({ description: 'Whether the person is now blocked by the caller.' })
	})
	.meta({ id: 'ReportCreated' });

export const blockStateSchema = z.object({ blocked: z.boolean() }).meta({ id: 'BlockState' });

export const blockListSchema = z
	.object({
		blocks: z.array(
			z
				.object({
					userId: z.uuid(),
					displayName: z.string(),
					blockedAt: z.iso.datetime({ offset: true }).meta({ description: 'ISO-8601, UTC' })
				})
				.meta({ id: 'BlockedPerson' })
		)
	})
	.meta({ id: 'BlockList' });

export const MODERATION_REASON_MAX = 2000;

/** Why an operator acts: recorded with the action. */
export const moderationReasonSchema = z.object({
	reason: z
		.string({ error: 'Say why.' })
		.trim()
		.min(3, 'Say why (at least 3 characters): it is recorded with the action.')
		.max(MODERATION_REASON_MAX, `Keep it under ${MODERATION_REASON_MAX} characters.`)
});
