import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// THE STAND-IN MODEL: a small OpenAI-compatible chat-completions server on 127.0.0.1 that answers
// from rules, not a language model. It is what the tests, the e2e run, `npm run dev` (when no
// AI_BASE_URL is set) and CI's run of `npm run eval:assistant` talk to through the real provider
// package, over HTTP. Its replies say that they come from the stand-in. Point AI_BASE_URL at a real
// endpoint (OpenAI, or a local Ollama: http://127.0.0.1:11434/v1) for real answers.

export const STAND_IN_MODEL = 'parley-stand-in';
export const STAND_IN_MARK = '(stand-in model)';

interface ChatMessage {
	role: 'system' | 'user' | 'assistant' | 'tool';
	content: string | { type: string; text?: string }[] | null;
}

interface ChatRequest {
	model: string;
	messages: ChatMessage[];
	stream?: boolean;
	tools?: { type: 'function'; function: { name: string } }[];
}

/** What the stand-in answers: text, or a tool call. */
export type StandInAnswer = { text: string } | { tool: string; args: Record<string, unknown> };

/** How the server behaves for a request; the default is `rules`. Tests switch it. */
export type StandInBehaviour =
	| { kind: 'rules' }
	| { kind: 'answer'; answer: StandInAnswer; chunkDelayMs?: number }
	| { kind: 'error'; status: number }
	| { kind: 'hang' };

export interface StandInServer {
	baseUrl: string;
	port: number;
	/** Requests received, oldest first (their parsed bodies). */
	requests: ChatRequest[];
	behave(behaviour: StandInBehaviour): void;
	close(): Promise<void>;
}

function textOf(content: ChatMessage['content']): string {
	if (typeof content === 'string') return content;
	return (content ?? []).map((part) => part.text ?? '').join('');
}

const COMMITMENT_WORDS =
	/\b(price|cheaper|discount|rabatt|descuento|refund|cancel\w*|storn\w*|annul\w*|extend|extension|date|dates|deposit|pay|payment|money|free|offer|deal|%|€|\$|status|approve|accept)\b/i;

const STOP_WORDS = new Set(
	'the a an is are was i you we it to of and or in on at for my your can could would do does what when where how which who with be there this that please hi hello thanks machine box'.split(
		' '
	)
);

function keywords(text: string): string[] {
	return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter(
		(w) => w.length > 2 && !STOP_WORDS.has(w)
	);
}

/**
 * The rules: a translation prompt answers the text marked as translated, a summary prompt a
 * marked summary, a draft prompt a marked draft. With the hand_off tool (the provider's
 * assistant) it hands off anything about money, dates, cancellations or status, and anything
 * its facts do not answer; otherwise it answers with the matching fact line.
 */
export function standInAnswer(request: ChatRequest): StandInAnswer {
	const system = request.messages
		.filter((m) => m.role === 'system')
		.map((m) => textOf(m.content))
		.join('\n');
	const users = request.messages.filter((m) => m.role === 'user').map((m) => textOf(m.content));
	const last = users.at(-1) ?? '';
	// Drafts and summaries name a language too: only a translation prompt starts "Translate".
	const language = system.startsWith('Translate') && /BCP 47 tag "([^"]+)"/.exec(system)?.[1];
	if (language) return { text: `${last} ${STAND_IN_MARK} [${language}]` };
	if (system.startsWith('Summarize')) {
		const count = request.messages.filter((m) => m.role !== 'system').length - 1;
		return {
			text: `- ${count} messages so far ${STAND_IN_MARK}.\n- Agreed: nothing the stand-in can tell.\n- Open: read the conversation.`
		};
	}
	const hasHandOff = request.tools?.some((t) => t.function.name === 'hand_off');
	if (!hasHandOff) {
		return { text: `Thanks for your message, I will get back to you shortly. ${STAND_IN_MARK}` };
	}
	// The renter's newest message (the last user turn is Parley's own request).
	const renter = users.filter((u) => u.includes('quoted as data')).at(-1) ?? '';
	const question = /<<<\n([\s\S]*)\n>>>/.exec(renter)?.[1] ?? renter;
	if (COMMITMENT_WORDS.test(question)) {
		return {
			tool: 'hand_off',
			args: { reason: 'The renter asks about something only the provider can decide.' }
		};
	}
	// The provider's facts, and the offering's (headed "...'s facts for this offering ...:").
	const factsBlocks = [
		...system.matchAll(/'s facts (?:\(FAQ\)|for this offering[^\n]*):\n([\s\S]*?)\n\n/g)
	];
	const facts = factsBlocks
		.flatMap((m) => (m[1] ?? '').split('\n'))
		.filter((line) => line.trim() && line !== '(none)');
	const asked = new Set(keywords(question));
	let best: { line: string; score: number } | null = null;
	for (const line of facts) {
		const score = keywords(line).filter((w) => asked.has(w)).length;
		if (score > 0 && (!best || score > best.score)) best = { line, score };
	}
	if (!best) {
		return { tool: 'hand_off', args: { reason: 'The facts do not answer this question.' } };
	}
	return { text: `${best.line.trim()} ${STAND_IN_MARK}` };
}

async function readBody(req: IncomingMessage): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks).toString('utf8');
}

const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };

function chunk(model: string, delta: Record<string, unknown>, finish: string | null, extra = {}) {
	return `data: ${JSON.stringify({
		id: 'chatcmpl-stand-in',
		object: 'chat.completion.chunk',
		created: Math.floor(Date.now() / 1000),
		model,
		choices: [{ index: 0, delta, finish_reason: finish }],
		...extra
	})}\n\n`;
}

async function respond(
	res: ServerResponse,
	request: ChatRequest,
	answer: StandInAnswer,
	chunkDelayMs: number
) {
	const toolCall =
		'tool' in answer
			? {
					id: 'call_stand_in_1',
					type: 'function',
					function: { name: answer.tool, arguments: JSON.stringify(answer.args) }
				}
			: null;
	if (!request.stream) {
		res.writeHead(200, { 'content-type': 'application/json' });
		res.end(
			JSON.stringify({
				id: 'chatcmpl-stand-in',
				object: 'chat.completion',
				created: Math.floor(Date.now() / 1000),
				model: request.model,
				choices: [
					{
						index: 0,
						message: {
							role: 'assistant',
							content: 'text' in answer ? answer.text : null,
							...(toolCall ? { tool_calls: [toolCall] } : {})
						},
						finish_reason: toolCall ? 'tool_calls' : 'stop'
					}
				],
				usage
			})
		);
		return;
	}
	res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
	const pause = () => new Promise((r) => setTimeout(r, chunkDelayMs));
	res.write(chunk(request.model, { role: 'assistant', content: '' }, null));
	if (toolCall) {
		res.write(chunk(request.model, { tool_calls: [{ index: 0, ...toolCall }] }, null));
	} else if ('text' in answer) {
		for (const piece of answer.text.match(/\S+\s*/g) ?? []) {
			if (res.destroyed) return;
			res.write(chunk(request.model, { content: piece }, null));
			if (chunkDelayMs > 0) await pause();
		}
	}
	res.write(chunk(request.model, {}, toolCall ? 'tool_calls' : 'stop', { usage }));
	res.end('data: [DONE]\n\n');
}

/** Starts the stand-in on 127.0.0.1 (`port` 0: any free port). */
export async function startStandInModel(
	options: { port?: number; chunkDelayMs?: number } = {}
): Promise<StandInServer> {
	let behaviour: StandInBehaviour = { kind: 'rules' };
	const requests: ChatRequest[] = [];
	const hanging = new Set<ServerResponse>();
	const server: Server = createServer(async (req, res) => {
		try {
			if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
				res.writeHead(404, { 'content-type': 'application/json' });
				res.end(JSON.stringify({ error: { message: 'Only POST /v1/chat/completions here.' } }));
				return;
			}
			const request = JSON.parse(await readBody(req)) as ChatRequest;
			requests.push(request);
			const now = behaviour;
			if (now.kind === 'error') {
				res.writeHead(now.status, { 'content-type': 'application/json' });
				res.end(
					JSON.stringify({
						error: { message: 'The stand-in was told to fail.', type: 'server_error' }
					})
				);
				return;
			}
			if (now.kind === 'hang') {
				hanging.add(res);
				res.on('close', () => hanging.delete(res));
				return;
			}
			const answer = now.kind === 'answer' ? now.answer : standInAnswer(request);
			const delay = now.kind === 'answer' ? (now.chunkDelayMs ?? 0) : (options.chunkDelayMs ?? 0);
			await respond(res, request, answer, delay);
		} catch (err) {
			res.writeHead(400, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ error: { message: String(err) } }));
		}
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
	});
	const port = (server.address() as AddressInfo).port;
	return {
		baseUrl: `http://127.0.0.1:${port}/v1`,
		port,
		requests,
		behave(next) {
			behaviour = next;
		},
		close: () =>
			new Promise<void>((resolve) => {
				for (const res of hanging) res.destroy();
				server.closeAllConnections();
				server.close(() => resolve());
			})
	};
}
