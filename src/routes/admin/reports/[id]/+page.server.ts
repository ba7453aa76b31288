import { error, fail } from '@sveltejs/kit';
import { z } from 'zod';
import { uuidSchema } from '$lib/schemas/contracts';
import { moderationReasonSchema } from '$lib/schemas/moderation';
import { getDb } from '$lib/server/db';
import { requireOperator } from '$lib/server/guards';
import { actOnReport, getReportDetail, type ReportAction } from '$lib/server/moderation';
import type { Actions, PageServerLoad, RequestEvent } from './$types';

export const load: PageServerLoad = async ({ locals, params }) => {
	const operator = await requireOperator(getDb(), locals);
	const id = uuidSchema.safeParse(params.id);
	const report = id.success ? await getReportDetail(getDb(), operator.id, id.data) : null;
	if (!report) error(404, 'Not found');
	return { title: 'Report', report };
};

type FieldErrors = { reason?: string[] };

const DONE: Record<ReportAction, string> = {
	dismiss: 'Report dismissed.',
	delete_message: 'Message deleted.',
	suspend: 'Account suspended: signed out everywhere, tokens revoked, no more email.'
};

function act(action: ReportAction) {
	return async ({ locals, params, request }: RequestEvent) => {
		// Actions run without the layout's load: the role is checked here (and in actOnReport).
		const operator = await requireOperator(getDb(), locals);
		const id = uuidSchema.safeParse(params.id);
		if (!id.success) error(404, 'Not found');
		const form = await request.formData();
		const reason = String(form.get('reason') ?? '');
		const parsed = moderationReasonSchema.safeParse({ reason });
		if (!parsed.success) {
			return fail(400, {
				action,
				reason,
				errors: z.flattenError(parsed.error).fieldErrors as FieldErrors,
				message: null
			});
		}
		const done = await actOnReport(getDb(), operator.id, id.data, action, parsed.data.reason);
		if (done === null) error(404, 'Not found');
		if (done === false) {
			return fail(409, {
				action,
				reason,
				errors: {} as FieldErrors,
				message: 'This report is about a person, not a message: there is no message to delete.'
			});
		}
		return { action, done: DONE[action] };
	};
}

export const actions: Actions = {
	dismiss: act('dismiss'),
	delete: act('delete_message'),
	suspend: act('suspend')
};
