import { fail } from '@sveltejs/kit';
import { z } from 'zod';
import { offeringFormValues, offeringSchema } from '$lib/schemas/offerings';
import { getDb } from '$lib/server/db';
import { requireUser } from '$lib/server/guards';
import { createOffering, listProviderOfferings } from '$lib/server/offerings';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
	const user = requireUser(locals, url);
	return { title: 'My offerings', offerings: await listProviderOfferings(getDb(), user.id) };
};

export const actions: Actions = {
	create: async ({ locals, request, url }) => {
		const user = requireUser(locals, url);
		const values = offeringFormValues(await request.formData());
		const parsed = offeringSchema.safeParse(values);
		if (!parsed.success) {
			return fail(400, { values, errors: z.flattenError(parsed.error).fieldErrors });
		}
		const created = await createOffering(getDb(), user.id, parsed.data);
		return { created: created.id, name: parsed.data.name };
	}
};
