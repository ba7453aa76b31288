import { json } from '@sveltejs/kit';
import { z } from 'zod';
import {
	assistantLanguageSchema,
	assistantSettingsSchema,
	offeringAssistantInputSchema,
	offeringAssistantSchema,
	summarySchema,
	translationQuerySchema,
	translationSchema
} from '$lib/schemas/assistant';
import { streamDraft, summarizeConversation, translateMessage } from '../assistant/features';
import {
	getAssistantLanguage,
	resolveAssistantLanguage,
	setAssistantLanguage
} from '../assistant/language';
import { appAi, requireAi } from '../assistant/model';
import {
	clearAssistantDraft,
	getAssistantSettings,
	getOfferingAssistant,
	getThreadAssistantState,
	listOfferingAssistants,
	putAssistantSettings,
	putOfferingAssistant,
	resetOfferingAssistant,
	resumeAssistantInThread,
	stopAssistantReply
} from '../assistant/settings';
import { getThreadForContract } from '../messaging/threads';
import { ApiError, notFound } from './api';
import { endpoint, type ApiEvent, type PathParam, type Services } from './endpoint';

// The assistant's JSON API. Every endpoint answers 503 ai_not_configured when no model is set, so
// a client can tell "off on this server" from any other failure.

const NO_CONTRACT = 'No such contract.';
const contractId: PathParam = { description: 'Contract id', notFound: NO_CONTRACT };
const messageId: PathParam = { description: 'Message id', notFound: 'No such message.' };
const AI_ERRORS = [429, 502, 503];

const ai = (services: Services) => requireAi((services.ai ?? appAi)());

/** Declared for the OpenAPI document; read through `languageOf`. */
const languageHeaders = z.object({
	'Accept-Language': z.string().max(1000).optional().meta({
		description:
			'Used when you have not set a language (PUT /api/assistant/language): the first valid tag'
	})
});
const languageOf = (
	db: Parameters<typeof resolveAssistantLanguage>[0],
	userId: string,
	event: ApiEvent
) => resolveAssistantLanguage(db, userId, event.request.headers.get('accept-language'));

export const postDraft = endpoint({
	method: 'POST',
	path: '/api/contracts/{id}/assistant/draft',
	summary:
		'A suggested next message for the caller, streamed as plain text (the AI SDK’s text stream); nothing is sent',
	scope: 'messages:read',
	params: { id: contractId },
	headers: languageHeaders,
	responses: {
		200: {
			description: 'The draft as it is written (text/plain chunks); abort the request to stop it',
			schema: z.string(),
			contentType: 'text/plain; charset=utf-8'
		}
	},
	errors: AI_ERRORS,
	async handler({ db, user, params, event, services }) {
		const model = ai(services);
		const stream = await streamDraft(db, model, user.id, params.id, {
			signal: event.request.signal,
			language: await languageOf(db, user.id, event)
		});
		if (!stream) throw notFound(NO_CONTRACT);
		return new Response(stream.pipeThrough(new TextEncoderStream()), {
			headers: {
				'content-type': 'text/plain; charset=utf-8',
				'cache-control': 'no-store'
			}
		});
	}
});

export const getTranslation = endpoint({
	method: 'GET',
	path: '/api/messages/{id}/translation',
	summary: 'The message in the given language, else yours (cached per message and language)',
	scope: 'messages:read',
	params: { id: messageId },
	query: translationQuerySchema,
	headers: languageHeaders,
	responses: { 200: { description: 'The translation', schema: translationSchema } },
	errors: [409, ...AI_ERRORS],
	async handler({ db, user, params, query, event, services }) {
		const model = ai(services);
		const language = query.lang ?? (await languageOf(db, user.id, event));
		if (!language) {
			throw new ApiError(
				400,
				'bad_request',
				'Say which language: ?lang=de, an Accept-Language header, or your language setting.'
			);
		}
		const translation = await translateMessage(
			db,
			model,
			user.id,
			params.id,
			language,
			event.request.signal
		);
		if (!translation) throw notFound('No such message.');
		return json(translation);
	}
});

export const postSummary = endpoint({
	method: 'POST',
	path: '/api/contracts/{id}/assistant/summary',
	summary: 'What was agreed and what is open, for the caller only (conversations over 30 messages)',
	scope: 'messages:read',
	params: { id: contractId },
	headers: languageHeaders,
	responses: { 200: { description: 'The summary', schema: summarySchema } },
	errors: [409, ...AI_ERRORS],
	async handler({ db, user, params, event, services }) {
		const model = ai(services);
		const summary = await summarizeConversation(db, model, user.id, params.id, {
			signal: event.request.signal,
			language: await languageOf(db, user.id, event)
		});
		if (!summary) throw notFound(NO_CONTRACT);
		return json(summary);
	}
});

export const getAssistant = endpoint({
	method: 'GET',
	path: '/api/assistant',
	summary:
		'The caller’s assistant settings (as a provider): the default for every offering without its own',
	responses: { 200: { description: 'The settings', schema: assistantSettingsSchema } },
	errors: [503],
	async handler({ db, user, services }) {
		ai(services);
		return json(await getAssistantSettings(db, user.id));
	}
});

export const putAssistant = endpoint({
	method: 'PUT',
	path: '/api/assistant',
	summary:
		'Change the caller’s default assistant settings: mode off, draft or auto, instructions, facts',
	body: assistantSettingsSchema,
	responses: { 200: { description: 'The saved settings', schema: assistantSettingsSchema } },
	errors: [503],
	async handler({ db, user, body, services }) {
		ai(services);
		return json(await putAssistantSettings(db, user.id, await body()));
	}
});

const threadAssistantSchema = z
	.object({
		mode: assistantSettingsSchema.shape.mode,
		silenced: z.boolean().meta({
			description: 'You wrote here since it was turned on: it stays silent until resumed'
		}),
		draft: z.string().nullable().meta({ description: 'A prepared reply waiting (draft mode)' })
	})
	.meta({ id: 'ThreadAssistant' });

export const getContractAssistant = endpoint({
	method: 'GET',
	path: '/api/contracts/{id}/assistant',
	summary: 'Your assistant in this conversation (providers): mode, silence, a waiting draft',
	params: { id: contractId },
	responses: { 200: { description: 'Its state here', schema: threadAssistantSchema } },
	errors: [503],
	async handler({ db, user, params, services }) {
		ai(services);
		const state = await getThreadAssistantState(db, user.id, params.id);
		if (!state) throw notFound(NO_CONTRACT);
		return json(state);
	}
});

export const postAssistantResume = endpoint({
	method: 'POST',
	path: '/api/contracts/{id}/assistant/resume',
	summary: 'Turn your assistant back on in this conversation after you wrote in it (providers)',
	params: { id: contractId },
	responses: { 204: { description: 'Resumed' } },
	errors: [503],
	async handler({ db, user, params, services }) {
		ai(services);
		if (!(await resumeAssistantInThread(db, user.id, params.id))) throw notFound(NO_CONTRACT);
		return new Response(null, { status: 204 });
	}
});

export const postAssistantStop = endpoint({
	method: 'POST',
	path: '/api/contracts/{id}/assistant/stop',
	summary: 'Stop the reply your assistant is writing here; nothing of it is posted (providers)',
	params: { id: contractId },
	responses: { 204: { description: 'Stop requested' } },
	errors: [503],
	async handler({ db, user, params, services }) {
		ai(services);
		if (!(await stopAssistantReply(db, user.id, params.id))) throw notFound(NO_CONTRACT);
		return new Response(null, { status: 204 });
	}
});

export const deleteAssistantDraft = endpoint({
	method: 'DELETE',
	path: '/api/contracts/{id}/assistant/draft',
	summary: 'Take the waiting draft out of the assistant’s hands (it is in your composer now)',
	params: { id: contractId },
	responses: { 204: { description: 'Cleared' } },
	errors: [503],
	async handler({ db, user, params, services }) {
		ai(services);
		const state = await getThreadAssistantState(db, user.id, params.id);
		if (!state) throw notFound(NO_CONTRACT);
		const thread = await getThreadForContract(db, user.id, params.id);
		if (thread) await clearAssistantDraft(db, thread.id);
		return new Response(null, { status: 204 });
	}
});

const NO_OFFERING = 'No such offering.';
const offeringId: PathParam = { description: 'Offering id (one of yours)', notFound: NO_OFFERING };

export const getOfferingAssistants = endpoint({
	method: 'GET',
	path: '/api/assistant/offerings',
	summary: 'Your offerings, each with its own assistant settings and the effective ones',
	responses: {
		200: {
			description: 'Every offering of yours',
			schema: z.object({ offerings: z.array(offeringAssistantSchema) })
		}
	},
	errors: [503],
	async handler({ db, user, services }) {
		ai(services);
		return json({ offerings: await listOfferingAssistants(db, user.id) });
	}
});

export const getOfferingAssistantSettings = endpoint({
	method: 'GET',
	path: '/api/offerings/{id}/assistant',
	summary: 'The assistant for one of your offerings: its own settings over your default',
	params: { id: offeringId },
	responses: { 200: { description: 'Its settings', schema: offeringAssistantSchema } },
	errors: [503],
	async handler({ db, user, params, services }) {
		ai(services);
		const settings = await getOfferingAssistant(db, user.id, params.id);
		if (!settings) throw notFound(NO_OFFERING);
		return json(settings);
	}
});

export const putOfferingAssistantSettings = endpoint({
	method: 'PUT',
	path: '/api/offerings/{id}/assistant',
	summary:
		'Give one of your offerings its own assistant: a mode and delay (null: your default), facts and instructions added to your default ones',
	params: { id: offeringId },
	body: offeringAssistantInputSchema,
	responses: { 200: { description: 'The saved settings', schema: offeringAssistantSchema } },
	errors: [503],
	async handler({ db, user, params, body, services }) {
		ai(services);
		if (!(await getOfferingAssistant(db, user.id, params.id))) throw notFound(NO_OFFERING);
		const saved = await putOfferingAssistant(db, user.id, params.id, await body());
		if (!saved) throw notFound(NO_OFFERING);
		return json(saved);
	}
});

export const deleteOfferingAssistantSettings = endpoint({
	method: 'DELETE',
	path: '/api/offerings/{id}/assistant',
	summary: 'The offering goes back to your default assistant settings',
	params: { id: offeringId },
	responses: { 204: { description: 'Reset' } },
	errors: [503],
	async handler({ db, user, params, services }) {
		ai(services);
		if (!(await resetOfferingAssistant(db, user.id, params.id))) throw notFound(NO_OFFERING);
		return new Response(null, { status: 204 });
	}
});

export const getAssistantLanguageSetting = endpoint({
	method: 'GET',
	path: '/api/assistant/language',
	summary: 'Your language for translations, summaries and drafts (null: your browser’s)',
	responses: { 200: { description: 'The setting', schema: assistantLanguageSchema } },
	errors: [503],
	async handler({ db, user, services }) {
		ai(services);
		return json({ language: await getAssistantLanguage(db, user.id) });
	}
});

export const putAssistantLanguageSetting = endpoint({
	method: 'PUT',
	path: '/api/assistant/language',
	summary:
		'Set your language for translations, summaries and drafts, or null to follow your browser',
	body: assistantLanguageSchema,
	responses: { 200: { description: 'The saved setting', schema: assistantLanguageSchema } },
	errors: [503],
	async handler({ db, user, body, services }) {
		ai(services);
		const { language } = await body();
		return json({ language: await setAssistantLanguage(db, user.id, language) });
	}
});
