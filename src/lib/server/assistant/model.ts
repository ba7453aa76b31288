import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import { getConfig, type AiModelSettings, type AiSettings } from '../config';
import { DomainError } from '../errors';

// The one place that knows which provider the assistant talks to. Everything else takes an
// `Ai` (a LanguageModel from the SDK's provider interface plus the limits), so another provider
// is one line here, and tests hand in the SDK's MockLanguageModelV3.

export interface Ai {
	model: LanguageModel;
	/** How long one call may take, streaming included. */
	timeoutMs: number;
	/** Model calls per user and UTC day. */
	dailyCallsPerUser: number;
}

/** An OpenAI-compatible chat model (OpenAI, Ollama, vLLM, a gateway) through the AI SDK. */
export function openAiCompatibleModel(settings: AiModelSettings): LanguageModel {
	const provider = createOpenAICompatible({
		name: 'parley-ai',
		baseURL: settings.baseUrl,
		apiKey: settings.apiKey ?? undefined,
		includeUsage: true
	});
	return provider.chatModel(settings.model);
}

/** The configured assistant, or null when AI_BASE_URL / AI_MODEL are not set. */
export function aiFromSettings(settings: AiSettings): Ai | null {
	if (!settings.model) return null;
	return {
		model: openAiCompatibleModel(settings.model),
		timeoutMs: settings.timeoutMs,
		dailyCallsPerUser: settings.dailyCallsPerUser
	};
}

let processAi: Ai | null | undefined;

/** The process's assistant (from its configuration), or null when none is configured. */
export function appAi(): Ai | null {
	if (processAi === undefined) processAi = aiFromSettings(getConfig().ai);
	return processAi;
}

/**
 * Development only: with no AI_BASE_URL, `npm run dev` talks to the stand-in model (stand-in.ts)
 * that hooks.server.ts starts, so the assistant can be tried without any account or download.
 */
export function useDevStandIn(baseUrl: string, model: string): void {
	const settings = getConfig().ai;
	if (settings.model) return;
	processAi = aiFromSettings({ ...settings, model: { baseUrl, apiKey: null, model } });
}

/** No model is configured: every AI endpoint answers 503 and no AI control is shown. */
export class AiNotConfiguredError extends DomainError {
	constructor() {
		super(503, 'ai_not_configured', 'The assistant is not configured on this server.');
	}
}

/** The model failed, timed out or was stopped: nothing was posted. */
export class AiFailedError extends DomainError {
	constructor(message = 'The assistant could not answer just now. Nothing was posted; try again.') {
		super(502, 'ai_failed', message);
	}
}

/** AI_DAILY_CALLS_PER_USER is used up for today. */
export class AiLimitError extends DomainError {
	constructor(limit: number) {
		super(
			429,
			'rate_limited',
			`You have used the assistant ${limit} times today, the daily limit. It is available again tomorrow (UTC).`
		);
	}
}

export function requireAi(ai: Ai | null): Ai {
	if (!ai) throw new AiNotConfiguredError();
	return ai;
}

/** Aborts when the caller goes away or the per-call timeout passes, whichever is first. */
export function callSignal(ai: Ai, caller?: AbortSignal): AbortSignal {
	const timeout = AbortSignal.timeout(ai.timeoutMs);
	return caller ? AbortSignal.any([caller, timeout]) : timeout;
}
