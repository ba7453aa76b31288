import { error, fail, redirect } from '@sveltejs/kit';
import { z } from 'zod';
import { uuidSchema } from '$lib/schemas/contracts';
import { centsToPriceInput, offeringFormValues, offeringSchema } from '$lib/schemas/offerings';
import { getDb } from '$lib/server/db';
import { requireUser } from '$lib/server/guards';
import { getOwnOffering, updateOffering } from '$lib/server/offerings';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, params, url }) => {
	const user = requireUser(locals, url);
	const id = uuidSchema.safeParse(params.id);
	const offering = id.success ? await getOwnOffering(getDb(), user.id, id.data) : null;
	if (!offering) error(404, 'Not found');
	return {
		title: `Edit ${offering.name}`,
		offering,
		values: {
			name: offering.name,
			description: offering.description,
			monthlyPrice: centsToPriceInput(offering.monthlyPriceCents)
		}
	};
};

export const actions: Actions = {
	default: async ({ locals, params, request, url }) => {
		const user = requireUser(locals, url);
		const id = uuidSchema.safeParse(params.id);
		if (!id.success) error(404, 'Not found');
		const values = offeringFormValues(await request.formData());
		const parsed = offeringSchema.safeParse(values);
		if (!parsed.success) {
			return fail(400, { values, errors: z.flattenError(parsed.error).fieldErrors });
		}
		const updated = await updateOffering(getDb(), user.id, id.data, parsed.data);
		if (!updated) error(404, 'Not found');
		redirect(303, '/dashboard/offerings');
	}
};
