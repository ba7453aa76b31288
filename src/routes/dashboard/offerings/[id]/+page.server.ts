import { error, fail, redirect } from '@sveltejs/kit';
import { z } from 'zod';
import { offeringAssistantFormSchema } from '$lib/schemas/assistant';
import { uuidSchema } from '$lib/schemas/contracts';
import { centsToPriceInput, offeringFormValues, offeringSchema } from '$lib/schemas/offerings';
import { appAi } from '$lib/server/assistant/model';
import {
	getAssistantSettings,
	getOfferingAssistant,
	putOfferingAssistant,
	resetOfferingAssistant
} from '$lib/server/assistant/settings';
import { getDb } from '$lib/server/db';
import { requireUser } from '$lib/server/guards';
import { getOwnOffering, updateOffering } from '$lib/server/offerings';
import type { Actions, PageServerLoad } from './$types';

function offeringIdOf(params: { id: string }): string {
	const id = uuidSchema.safeParse(params.id);
	if (!id.success) error(404, 'Not found');
	return id.data;
}

export const load: PageServerLoad = async ({ locals, params, url }) => {
	const user = requireUser(locals, url);
	const id = uuidSchema.safeParse(params.id);
	const offering = id.success ? await getOwnOffering(getDb(), user.id, id.data) : null;
	if (!offering) error(404, 'Not found');
	const ai = appAi() !== null;
	return {
		title: `Edit ${offering.name}`,
		offering,
		values: {
			name: offering.name,
			description: offering.description,
			monthlyPrice: centsToPriceInput(offering.monthlyPriceCents)
		},
		// Without a configured model the assistant's settings are not shown at all.
		assistant: ai ? await getOfferingAssistant(getDb(), user.id, offering.id) : null,
		assistantDefault: ai ? await getAssistantSettings(getDb(), user.id) : null
	};
};

export const actions: Actions = {
	save: async ({ locals, params, request, url }) => {
		const user = requireUser(locals, url);
		const id = offeringIdOf(params);
		const values = offeringFormValues(await request.formData());
		const parsed = offeringSchema.safeParse(values);
		if (!parsed.success) {
			return fail(400, { values, errors: z.flattenError(parsed.error).fieldErrors });
		}
		const updated = await updateOffering(getDb(), user.id, id, parsed.data);
		if (!updated) error(404, 'Not found');
		redirect(303, '/dashboard/offerings');
	},

	assistant: async ({ locals, params, request, url }) => {
		const user = requireUser(locals, url);
		const id = offeringIdOf(params);
		if (!appAi()) return fail(503, { assistantError: 'The assistant is not configured here.' });
		const form = await request.formData();
		const values = {
			mode: String(form.get('mode') ?? ''),
			instructions: String(form.get('instructions') ?? ''),
			facts: String(form.get('facts') ?? ''),
			delayMinutes: String(form.get('delayMinutes') ?? '')
		};
		const parsed = offeringAssistantFormSchema.safeParse(values);
		if (!parsed.success) {
			return fail(400, {
				assistantForm: values,
				assistantErrors: z.flattenError(parsed.error).fieldErrors
			});
		}
		const saved = await putOfferingAssistant(getDb(), user.id, id, parsed.data);
		if (!saved) error(404, 'Not found');
		return { assistantSaved: saved };
	},

	resetAssistant: async ({ locals, params, url }) => {
		const user = requireUser(locals, url);
		const id = offeringIdOf(params);
		if (!appAi()) return fail(503, { assistantError: 'The assistant is not configured here.' });
		if (!(await resetOfferingAssistant(getDb(), user.id, id))) error(404, 'Not found');
		return { assistantReset: true };
	}
};
