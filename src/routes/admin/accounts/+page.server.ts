import { error, fail } from '@sveltejs/kit';
import { z } from 'zod';
import { uuidSchema } from '$lib/schemas/contracts';
import { moderationReasonSchema } from '$lib/schemas/moderation';
import { getDb } from '$lib/server/db';
import { requireOperator } from '$lib/server/guards';
import { listSuspendedAccounts, unsuspendUser } from '$lib/server/moderation';
import type { Actions, PageServerLoad } from './$types';

const PAGE = 100;

export const load: PageServerLoad = async ({ locals }) => {
	const operator = await requireOperator(getDb(), locals);
	const accounts = await listSuspendedAccounts(getDb(), operator.id, { limit: PAGE });
	if (!accounts) error(404, 'Not found');
	return { title: 'Suspended accounts', accounts };
};

export const actions: Actions = {
	unsuspend: async ({ locals, request }) => {
		// Actions run without the layout's load: the role is checked here (and in unsuspendUser).
		const operator = await requireOperator(getDb(), locals);
		const form = await request.formData();
		const userId = uuidSchema.safeParse(form.get('userId'));
		if (!userId.success) error(404, 'Not found');
		const reason = String(form.get('reason') ?? '');
		const parsed = moderationReasonSchema.safeParse({ reason });
		if (!parsed.success) {
			return fail(400, {
				userId: userId.data,
				reason,
				errors: z.flattenError(parsed.error).fieldErrors as { reason?: string[] },
				message: null
			});
		}
		const done = await unsuspendUser(getDb(), operator.id, userId.data, parsed.data.reason);
		if (done === null) error(404, 'Not found');
		if (done === false) {
			return fail(409, {
				userId: userId.data,
				reason,
				errors: {} as { reason?: string[] },
				message: 'This account is not suspended (any more).'
			});
		}
		return { unsuspended: done.name };
	}
};
