import { generateText, streamText, tool } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openAiCompatibleModel } from './model';
import { startStandInModel, STAND_IN_MARK, type StandInServer } from './stand-in';

// The real provider package (@ai-sdk/openai-compatible) against the stand-in OpenAI-compatible
// server over HTTP on 127.0.0.1: streamed chat completions, tool calls, an error and a hang.

let server: StandInServer;
beforeAll(async () => {
	server = await startStandInModel();
});
afterAll(async () => {
	await server.close();
});
beforeEach(() => {
	server.behave({ kind: 'rules' });
	server.requests.length = 0;
});

const model = () =>
	openAiCompatibleModel({ baseUrl: server.baseUrl, apiKey: 'sk-test', model: 'test-model' });

describe('the OpenAI-compatible provider against the stand-in', () => {
	it('streams a chat completion chunk by chunk', async () => {
		server.behave({ kind: 'answer', answer: { text: 'Pickup is from nine to five.' } });
		const result = streamText({ model: model(), prompt: 'When can I pick it up?' });
		const chunks: string[] = [];
		for await (const text of result.textStream) chunks.push(text);
		expect(chunks.join('')).toBe('Pickup is from nine to five.');
		expect(chunks.length).toBeGreaterThan(3);
		expect(server.requests[0]).toMatchObject({ model: 'test-model', stream: true });
	});

	it('answers a non-streamed call (translations, summaries)', async () => {
		const { text } = await generateText({
			model: model(),
			system: 'Translate the user\'s text into the language with the BCP 47 tag "de".',
			prompt: 'Hello'
		});
		expect(text).toBe(`Hello ${STAND_IN_MARK} [de]`);
	});

	it('passes a tool call through as the SDK’s tool-call part', async () => {
		server.behave({
			kind: 'answer',
			answer: { tool: 'hand_off', args: { reason: 'Asks for a discount.' } }
		});
		const result = streamText({
			model: model(),
			prompt: 'Discount?',
			tools: { hand_off: tool({ inputSchema: z.object({ reason: z.string() }) }) }
		});
		const calls: unknown[] = [];
		for await (const part of result.fullStream) {
			if (part.type === 'tool-call') calls.push({ name: part.toolName, input: part.input });
		}
		expect(calls).toEqual([{ name: 'hand_off', input: { reason: 'Asks for a discount.' } }]);
		expect(server.requests[0]!.tools?.map((t) => t.function.name)).toEqual(['hand_off']);
	});

	it('turns an HTTP error into an error (no retries when told so)', async () => {
		server.behave({ kind: 'error', status: 500 });
		await expect(generateText({ model: model(), prompt: 'Hi', maxRetries: 0 })).rejects.toThrow(
			/stand-in was told to fail/
		);
		expect(server.requests).toHaveLength(1);
	});

	it('gives up on a hang when the call’s signal aborts', async () => {
		server.behave({ kind: 'hang' });
		const started = Date.now();
		await expect(
			generateText({
				model: model(),
				prompt: 'Hi',
				maxRetries: 0,
				abortSignal: AbortSignal.timeout(300)
			})
		).rejects.toThrow();
		expect(Date.now() - started).toBeLessThan(3_000);
	});
});
