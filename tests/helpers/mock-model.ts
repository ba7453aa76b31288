import type { LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { MockLanguageModelV3, simulateReadableStream } from 'ai/test';
import type { Ai } from '../../src/lib/server/assistant/model';

// The AI SDK's own mock language model (ai/test), scripted per test: no network.

const usage = {
	inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
	outputTokens: { total: 5, text: 5, reasoning: undefined }
};

export function aiWith(model: MockLanguageModelV3, overrides: Partial<Ai> = {}): Ai {
	return { model, timeoutMs: 2_000, dailyCallsPerUser: 100, ...overrides };
}

function words(text: string): string[] {
	return text.match(/\S+\s*/g) ?? [text];
}

/** Streams `text` word by word (`delayMs` apart) and answers it from doGenerate too. */
export function textModel(text: string, delayMs = 0): MockLanguageModelV3 {
	return new MockLanguageModelV3({
		doGenerate: async () => ({
			content: [{ type: 'text', text }],
			finishReason: { unified: 'stop', raw: 'stop' },
			usage,
			warnings: []
		}),
		doStream: async () => ({
			stream: simulateReadableStream<LanguageModelV3StreamPart>({
				chunkDelayInMs: delayMs,
				chunks: [
					{ type: 'stream-start', warnings: [] },
					{ type: 'text-start', id: 't1' },
					...words(text).map((delta) => ({ type: 'text-delta' as const, id: 't1', delta })),
					{ type: 'text-end', id: 't1' },
					{ type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage }
				]
			})
		})
	});
}

/** Calls one tool with `input` (streamed), as a model does when it decides to. */
export function toolModel(toolName: string, input: unknown): MockLanguageModelV3 {
	return new MockLanguageModelV3({
		doStream: async () => ({
			stream: simulateReadableStream<LanguageModelV3StreamPart>({
				chunks: [
					{ type: 'stream-start', warnings: [] },
					{ type: 'tool-call', toolCallId: 'call-1', toolName, input: JSON.stringify(input) },
					{ type: 'finish', finishReason: { unified: 'tool-calls', raw: 'tool_calls' }, usage }
				]
			})
		})
	});
}

/** Fails every call, as a provider answering 500 does. */
export function failingModel(): MockLanguageModelV3 {
	const fail = async (): Promise<never> => {
		throw new Error('upstream model error (500)');
	};
	return new MockLanguageModelV3({ doGenerate: fail, doStream: fail });
}

/** Writes `first`, then nothing until the call is aborted (Stop, the caller leaving, the timeout). */
export function hangingModel(first = 'Hello'): MockLanguageModelV3 {
	return new MockLanguageModelV3({
		doGenerate: (options) =>
			new Promise((_, reject) =>
				options.abortSignal?.addEventListener('abort', () => reject(options.abortSignal?.reason))
			),
		doStream: async (options) => ({
			stream: new ReadableStream<LanguageModelV3StreamPart>({
				start(controller) {
					controller.enqueue({ type: 'stream-start', warnings: [] });
					controller.enqueue({ type: 'text-start', id: 't1' });
					controller.enqueue({ type: 'text-delta', id: 't1', delta: first });
					options.abortSignal?.addEventListener('abort', () =>
						controller.error(options.abortSignal?.reason ?? new Error('aborted'))
					);
				}
			})
		})
	});
}
