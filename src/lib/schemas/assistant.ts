import { z } from 'zod';

// Request and response shapes of the assistant API (and the settings form): no server imports.

import {
	ASSISTANT_DELAY_MAX_MINUTES,
	ASSISTANT_MODES,
	ASSISTANT_TEXT_MAX_LENGTH,
	SUMMARY_MIN_MESSAGES,
	type AssistantMode
} from '../assistant-rules';

export {
	ASSISTANT_DELAY_MAX_MINUTES,
	ASSISTANT_MODES,
	ASSISTANT_TEXT_MAX_LENGTH,
	SUMMARY_MIN_MESSAGES,
	type AssistantMode
};

export const assistantSettingsSchema = z
	.object({
		mode: z.enum(ASSISTANT_MODES).meta({
			description:
				'off: nothing; draft: a reply waits in your composer and an email says so; auto: it answers when you have not within delayMinutes'
		}),
		instructions: z
			.string()
			.trim()
			.max(ASSISTANT_TEXT_MAX_LENGTH, `At most ${ASSISTANT_TEXT_MAX_LENGTH} characters.`)
			.meta({ description: 'How it should write (tone, language, what to leave to you)' }),
		facts: z
			.string()
			.trim()
			.max(ASSISTANT_TEXT_MAX_LENGTH, `At most ${ASSISTANT_TEXT_MAX_LENGTH} characters.`)
			.meta({ description: 'What it may answer from: check-in, pickup, rules, FAQ' }),
		delayMinutes: z.coerce
			.number({ error: 'A whole number of minutes.' })
			.int('A whole number of minutes.')
			.min(0, 'At least 0 minutes.')
			.max(ASSISTANT_DELAY_MAX_MINUTES, `At most ${ASSISTANT_DELAY_MAX_MINUTES} minutes.`)
			.meta({ description: 'Auto mode answers after this many minutes without your answer' })
	})
	.meta({ id: 'AssistantSettings' });
export type AssistantSettingsJson = z.output<typeof assistantSettingsSchema>;

export const DEFAULT_ASSISTANT_SETTINGS: AssistantSettingsJson = {
	mode: 'off',
	instructions: '',
	facts: '',
	delayMinutes: 10
};

const textField = (description: string) =>
	z
		.string()
		.trim()
		.max(ASSISTANT_TEXT_MAX_LENGTH, `At most ${ASSISTANT_TEXT_MAX_LENGTH} characters.`)
		.meta({ description });

/** One offering's assistant over the provider's default: null uses the default. */
export const offeringAssistantInputSchema = z
	.object({
		mode: z
			.enum(ASSISTANT_MODES)
			.nullable()
			.meta({ description: 'off, draft or auto for this offering; null: your default mode' }),
		instructions: textField(
			'Instructions for this offering only, added to your default instructions'
		),
		facts: textField(
			'Facts about this offering (check-in, pickup, rules), added to your default facts; they win where the two differ'
		),
		delayMinutes: z
			.number({ error: 'A whole number of minutes.' })
			.int('A whole number of minutes.')
			.min(0, 'At least 0 minutes.')
			.max(ASSISTANT_DELAY_MAX_MINUTES, `At most ${ASSISTANT_DELAY_MAX_MINUTES} minutes.`)
			.nullable()
			.meta({ description: 'Auto mode delay for this offering; null: your default delay' })
	})
	.meta({ id: 'OfferingAssistantInput' });
export type OfferingAssistantInput = z.output<typeof offeringAssistantInputSchema>;

/** The same from the settings form: "default" and an empty delay are null. */
export const offeringAssistantFormSchema = z.object({
	mode: z.preprocess((v) => (v === 'default' ? null : v), offeringAssistantInputSchema.shape.mode),
	instructions: offeringAssistantInputSchema.shape.instructions,
	facts: offeringAssistantInputSchema.shape.facts,
	delayMinutes: z.preprocess(
		(v) => (typeof v === 'string' ? (v.trim() === '' ? null : Number(v)) : v),
		offeringAssistantInputSchema.shape.delayMinutes
	)
});

export const offeringAssistantSchema = offeringAssistantInputSchema
	.extend({
		offeringId: z.uuid(),
		offeringName: z.string(),
		effective: z
			.object({
				mode: z.enum(ASSISTANT_MODES),
				delayMinutes: z.number().int()
			})
			.meta({ description: 'What the assistant does for this offering: its own or your default' })
	})
	.meta({ id: 'OfferingAssistant' });
export type OfferingAssistantJson = z.output<typeof offeringAssistantSchema>;

/** A language tag such as de, en-GB or pt-BR; stored lower-case. */
export const languageSchema = z
	.string()
	.trim()
	.regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$/, 'A language tag such as de or pt-BR.')
	.transform((tag) => tag.toLowerCase());

export const translationQuerySchema = z.object({
	lang: languageSchema.optional().meta({
		description:
			'The language to translate into (BCP 47), e.g. de; without it, your language setting, else the browser’s (Accept-Language)'
	})
});

/** The caller's language for the assistant: null follows the browser. */
export const assistantLanguageSchema = z
	.object({
		language: languageSchema.nullable().meta({
			description:
				'Translations, summaries and drafts in this language (BCP 47); null: the browser’s (Accept-Language)'
		})
	})
	.meta({ id: 'AssistantLanguage' });

export const translationSchema = z
	.object({ text: z.string(), language: z.string() })
	.meta({ id: 'Translation' });

export const summarySchema = z.object({ summary: z.string() }).meta({ id: 'Summary' });
