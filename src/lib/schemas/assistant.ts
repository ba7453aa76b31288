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

/** A language tag such as de, en-GB or pt-BR; stored lower-case. */
export const languageSchema = z
	.string()
	.trim()
	.regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$/, 'A language tag such as de or pt-BR.')
	.transform((tag) => tag.toLowerCase());

export const translationQuerySchema = z.object({
	lang: languageSchema.meta({ description: 'The language to translate into (BCP 47), e.g. de' })
});

export const translationSchema = z
	.object({ text: z.string(), language: z.string() })
	.meta({ id: 'Translation' });

export const summarySchema = z.object({ summary: z.string() }).meta({ id: 'Summary' });
