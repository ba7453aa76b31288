// The assistant's limits, shared by the settings form, the conversation page and the API schemas
// ($lib/schemas/assistant re-exports them). Zod-free on purpose: it stays out of the client bundle.

export const ASSISTANT_MODES = ['off', 'draft', 'auto'] as const;
export type AssistantMode = (typeof ASSISTANT_MODES)[number];
export const ASSISTANT_TEXT_MAX_LENGTH = 4000;
export const ASSISTANT_DELAY_MAX_MINUTES = 1440;

/** A conversation needs more messages than this before it can be summarized. */
export const SUMMARY_MIN_MESSAGES = 30;

export interface AssistantSettingsValues {
	mode: AssistantMode;
	instructions: string;
	facts: string;
	delayMinutes: number;
}
