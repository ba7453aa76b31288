import { fail } from '@sveltejs/kit';
import { z } from 'zod';
import { createTokenSchema, tokenFormInput } from '$lib/schemas/api-tokens';
import { uuidSchema } from '$lib/schemas/contracts';
import { assistantSettingsSchema } from '$lib/schemas/assistant';
import { appAi } from '$lib/server/assistant/model';
import { getAssistantSettings, putAssistantSettings } from '$lib/server/assistant/settings';
import { createApiToken, listApiTokens, revokeApiToken } from '$lib/server/api-tokens';
import { getDb } from '$lib/server/db';
import { setEmailNotifications } from '$lib/server/email/unsubscribe';
import { requireUser } from '$lib/server/guards';
import { failFromDomainError } from '$lib/server/http/actions';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
	const user = requireUser(locals, url);
	return {
		title: 'Settings',
		emailNotifications: user.emailNotifications,
		email: user.email,
		displayName: user.displayName,
		tokens: await listApiTokens(getDb(), user.id),
		// Without a configured model the assistant's settings are not shown at all.
		assistant: appAi() ? await getAssistantSettings(getDb(), user.id) : null
	};
};

export const actions: Actions = {
	notifications: async ({ locals, request, url }) => {
		const user = requireUser(locals, url);
		const enabled = (await request.formData()).get('emailNotifications') === 'on';
		await setEmailNotifications(getDb(), user.id, enabled);
		return { saved: true, enabled };
	},

	// The token is in this answer and nowhere else: it is shown once, so no redirect after the POST.
	createToken: async ({ locals, request, url }) => {
		const user = requireUser(locals, url);
		const form = await request.formData();
		const values = {
			name: String(form.get('name') ?? ''),
			scopes: form.getAll('scopes').map(String),
			kind: String(form.get('kind') ?? ''),
			expiresInDays: String(form.get('expiresInDays') ?? '')
		};
		const parsed = createTokenSchema.safeParse(tokenFormInput(form));
		if (!parsed.success) {
			return fail(400, { tokenForm: values, errors: z.flattenError(parsed.error).fieldErrors });
		}
		try {
			return { createdToken: await createApiToken(getDb(), user.id, parsed.data) };
		} catch (err) {
			return failFromDomainError(err, (message) => ({ tokenForm: values, message }));
		}
	},

	assistant: async ({ locals, request, url }) => {
		const user = requireUser(locals, url);
		if (!appAi()) return fail(503, { assistantError: 'The assistant is not configured here.' });
		const form = await request.formData();
		const values = {
			mode: String(form.get('mode') ?? ''),
			instructions: String(form.get('instructions') ?? ''),
			facts: String(form.get('facts') ?? ''),
			delayMinutes: String(form.get('delayMinutes') ?? '')
		};
		const parsed = assistantSettingsSchema.safeParse(values);
		if (!parsed.success) {
			return fail(400, {
				assistantForm: values,
				assistantErrors: z.flattenError(parsed.error).fieldErrors
			});
		}
		return { assistantSaved: await putAssistantSettings(getDb(), user.id, parsed.data) };
	},

	revokeToken: async ({ locals, request, url }) => {
		const user = requireUser(locals, url);
		const form = await request.formData();
		const id = uuidSchema.safeParse(form.get('id'));
		const name = id.success ? await revokeApiToken(getDb(), user.id, id.data) : null;
		if (name === null) return fail(404, { revokeError: 'No such token.' });
		return { revoked: name };
	}
};
