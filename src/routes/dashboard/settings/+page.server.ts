import { fail, redirect } from '@sveltejs/kit';
import { z } from 'zod';
import { createTokenSchema, tokenFormInput } from '$lib/schemas/api-tokens';
import { uuidSchema } from '$lib/schemas/contracts';
import { signupSchema } from '$lib/schemas/auth';
import { describeUserAgent } from '$lib/user-agent';
import { assistantSettingsSchema, languageSchema } from '$lib/schemas/assistant';
import {
	browserLanguage,
	getAssistantLanguage,
	setAssistantLanguage
} from '$lib/server/assistant/language';
import { appAi } from '$lib/server/assistant/model';
import {
	getAssistantSettings,
	listOfferingAssistants,
	putAssistantSettings
} from '$lib/server/assistant/settings';
import { createApiToken, listApiTokens, revokeApiToken } from '$lib/server/api-tokens';
import {
	WrongCurrentPasswordError,
	changePassword,
	listSessions,
	revokeSession
} from '$lib/server/auth';
import { passwordWeakness } from '$lib/server/password-strength';
import { getDb } from '$lib/server/db';
import { setEmailNotifications } from '$lib/server/email/unsubscribe';
import { requireUser } from '$lib/server/guards';
import { failFromDomainError } from '$lib/server/http/actions';
import { listBlocks, unblockUser } from '$lib/server/moderation';
import type { Actions, PageServerLoad } from './$types';

const newPasswordSchema = signupSchema.shape.password;

export const load: PageServerLoad = async ({ locals, url, request }) => {
	const user = requireUser(locals, url);
	const ai = appAi() !== null;
	const signedIn = await listSessions(getDb(), user.id, locals.sessionId);
	return {
		sessions: signedIn.map((s) => ({
			id: s.id,
			device: describeUserAgent(s.userAgent),
			createdAt: s.createdAt.toISOString(),
			lastSeenAt: s.lastSeenAt.toISOString(),
			current: s.current
		})),
		title: 'Settings',
		emailNotifications: user.emailNotifications,
		email: user.email,
		displayName: user.displayName,
		tokens: await listApiTokens(getDb(), user.id),
		blocks: await listBlocks(getDb(), user.id),
		// Without a configured model the assistant's settings are not shown at all.
		assistant: ai ? await getAssistantSettings(getDb(), user.id) : null,
		assistantOfferings: ai ? await listOfferingAssistants(getDb(), user.id) : [],
		language: ai
			? {
					setting: await getAssistantLanguage(getDb(), user.id),
					browser: browserLanguage(request.headers.get('accept-language'))
				}
			: null
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

	// Signs out every other session (and closes their live streams); this one stays signed in.
	changePassword: async ({ locals, request, url }) => {
		const user = requireUser(locals, url);
		const form = await request.formData();
		const currentPassword = String(form.get('currentPassword') ?? '');
		const parsed = newPasswordSchema.safeParse(form.get('newPassword') ?? '');
		if (!currentPassword) {
			return fail(400, {
				passwordErrors: { currentPassword: ['Enter your current password.'] }
			});
		}
		const weakness = parsed.success
			? passwordWeakness(parsed.data, [user.email, user.displayName])
			: (parsed.error.issues[0]?.message ?? 'Choose a new password.');
		if (weakness) return fail(400, { passwordErrors: { newPassword: [weakness] } });
		try {
			const signedOut = await changePassword(getDb(), user.id, locals.sessionId, {
				currentPassword,
				newPassword: parsed.data!
			});
			return { passwordChanged: true, signedOut };
		} catch (err) {
			if (err instanceof WrongCurrentPasswordError) {
				return fail(400, { passwordErrors: { currentPassword: [err.message] } });
			}
			throw err;
		}
	},

	revokeSession: async ({ locals, request, url }) => {
		const user = requireUser(locals, url);
		const id = String((await request.formData()).get('id') ?? '');
		if (!/^[0-9a-f]{64}$/.test(id) || !(await revokeSession(getDb(), user.id, id))) {
			return fail(404, { sessionError: 'That session is already signed out.' });
		}
		// Revoking the session in use is logging out here.
		if (id === locals.sessionId) redirect(303, '/login');
		return { sessionRevoked: true };
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

	// An empty choice follows the browser again.
	language: async ({ locals, request, url }) => {
		const user = requireUser(locals, url);
		if (!appAi()) return fail(503, { languageError: 'The assistant is not configured here.' });
		const value = String((await request.formData()).get('language') ?? '').trim();
		const parsed = value === '' ? null : languageSchema.safeParse(value);
		if (parsed && !parsed.success) {
			return fail(400, { languageError: 'Choose a language from the list.' });
		}
		return {
			languageSaved: await setAssistantLanguage(getDb(), user.id, parsed ? parsed.data : null)
		};
	},

	// Lifts a block and unmutes the conversations it muted (moderation/blocks.ts).
	unblock: async ({ locals, request, url }) => {
		const user = requireUser(locals, url);
		const form = await request.formData();
		const id = uuidSchema.safeParse(form.get('userId'));
		const blocked = id.success
			? (await listBlocks(getDb(), user.id)).find((b) => b.userId === id.data)
			: undefined;
		if (!blocked || !(await unblockUser(getDb(), user.id, blocked.userId))) {
			return fail(404, { unblockError: 'You are not blocking this person.' });
		}
		return { unblocked: blocked.displayName };
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
