import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { generateText, streamText, type ModelMessage } from 'ai';
import { SUMMARY_MIN_MESSAGES } from '$lib/schemas/assistant';
import type { Db } from '../db';
import { messageTranslations } from '../db/schema';
import { DomainError } from '../errors';
import { getMessageForViewer } from '../messaging/threads';
import { loadConversation, promptMessages } from './conversation';
import { AiFailedError, callSignal, type Ai } from './model';
import { draftSystemPrompt, summarySystemPrompt, translateSystemPrompt } from './prompts';
import { getAssistantBrief } from './settings';
import { takeAiCall } from './usage';

// Drafts, translations and summaries: for either party, each one model call counted against the
// caller's day. A failed call writes nothing and answers AiFailedError.

export interface FeatureOptions {
	/** The caller left or pressed Stop. */
	signal?: AbortSignal;
	/** The caller's language (resolveAssistantLanguage); null: the conversation's. */
	language?: string | null;
}

const DRAFT_NOW: ModelMessage = {
	role: 'user',
	content: '[Parley, not a participant] Write the draft of the next message now.'
};

/**
 * A suggested next message for `userId`, streamed as text. Resolves once the model has produced its
 * first words (or failed: AiFailedError, so the caller answers an error instead of an empty stream);
 * null when the contract is not theirs. `signal`: the caller left or pressed Stop.
 */
export async function streamDraft(
	db: Db,
	ai: Ai,
	userId: string,
	contractId: string,
	options: FeatureOptions = {}
): Promise<ReadableStream<string> | null> {
	const c = await loadConversation(db, userId, contractId);
	if (!c) return null;
	await takeAiCall(db, ai, userId);
	// The provider's drafts know what their assistant knows for this offering.
	const brief =
		userId === c.providerId ? await getAssistantBrief(db, c.providerId, c.offeringId) : null;
	const result = streamText({
		model: ai.model,
		system: draftSystemPrompt(c, userId, { language: options.language, brief }),
		messages: [...promptMessages(c, userId), DRAFT_NOW],
		abortSignal: callSignal(ai, options.signal),
		maxRetries: 0,
		onError: () => {}
	});
	return firstTextOrFail(result.fullStream);
}

type StreamPart = { type: string; text?: string; error?: unknown };

/** Waits for the first text (or the end) so a failure before it becomes an error response. */
export async function firstTextOrFail(
	parts: AsyncIterable<StreamPart>
): Promise<ReadableStream<string>> {
	const iterator = parts[Symbol.asyncIterator]();
	const buffered: string[] = [];
	for (;;) {
		const next = await iterator.next().catch((err: unknown) => {
			throw failure(err);
		});
		if (next.done) break;
		const part = next.value;
		if (part.type === 'error') throw failure(part.error);
		if (part.type === 'abort') throw new AiFailedError('The draft was stopped.');
		if (part.type === 'text-delta' && part.text) {
			buffered.push(part.text);
			break;
		}
	}
	return new ReadableStream<string>({
		start(controller) {
			for (const text of buffered) controller.enqueue(text);
		},
		// Reads on until it has text to give: a pull that enqueues nothing is not called again.
		async pull(controller) {
			try {
				for (;;) {
					const next = await iterator.next();
					if (next.done) return controller.close();
					const part = next.value;
					if (part.type === 'error') return controller.error(failure(part.error));
					if (part.type === 'abort') return controller.error(new AiFailedError('Stopped.'));
					if (part.type === 'text-delta' && part.text) return controller.enqueue(part.text);
				}
			} catch (err) {
				controller.error(failure(err));
			}
		},
		async cancel() {
			await iterator.return?.();
		}
	});
}

function failure(err: unknown): AiFailedError {
	if (err instanceof AiFailedError) return err;
	console.error('Assistant call failed:', err instanceof Error ? err.message : err);
	return new AiFailedError();
}

export interface Translation {
	text: string;
	language: string;
}

/**
 * The message in `language`, from the cache when this text was translated into it before (by
 * anyone); otherwise one model call, stored. Null when the viewer cannot see the message.
 */
export async function translateMessage(
	db: Db,
	ai: Ai,
	viewerId: string,
	messageId: string,
	language: string,
	signal?: AbortSignal
): Promise<Translation | null> {
	const message = await getMessageForViewer(db, viewerId, messageId);
	if (!message) return null;
	if (message.deletedAt) {
		throw new DomainError(
			409,
			'conflict',
			'This message was deleted; there is nothing to translate.'
		);
	}
	const sourceHash = createHash('md5').update(message.body).digest('hex');
	const [cached] = await db
		.select({ text: messageTranslations.text, sourceHash: messageTranslations.sourceHash })
		.from(messageTranslations)
		.where(
			and(eq(messageTranslations.messageId, messageId), eq(messageTranslations.language, language))
		);
	if (cached && cached.sourceHash === sourceHash) return { text: cached.text, language };

	await takeAiCall(db, ai, viewerId);
	const text = await generateText({
		model: ai.model,
		system: translateSystemPrompt(language),
		prompt: message.body,
		abortSignal: callSignal(ai, signal),
		maxRetries: 0
	}).then(
		(r) => r.text.trim(),
		(err: unknown) => {
			throw failure(err);
		}
	);
	if (!text) throw new AiFailedError('The translation came back empty; try again.');
	await db
		.insert(messageTranslations)
		.values({ messageId, language, sourceHash, text })
		.onConflictDoUpdate({
			target: [messageTranslations.messageId, messageTranslations.language],
			set: { sourceHash, text, createdAt: new Date() }
		});
	return { text, language };
}

export class ConversationTooShortError extends DomainError {
	constructor() {
		super(
			409,
			'conflict',
			`Summaries are for conversations of more than ${SUMMARY_MIN_MESSAGES} messages.`
		);
	}
}

/** What was agreed and what is open, for the viewer only (not stored). Null: not their contract. */
export async function summarizeConversation(
	db: Db,
	ai: Ai,
	viewerId: string,
	contractId: string,
	options: FeatureOptions = {}
): Promise<{ summary: string } | null> {
	const c = await loadConversation(db, viewerId, contractId);
	if (!c) return null;
	const count = c.messages.filter((m) => !m.deletedAt && m.senderRole !== 'system').length;
	if (count <= SUMMARY_MIN_MESSAGES) throw new ConversationTooShortError();
	await takeAiCall(db, ai, viewerId);
	const summary = await generateText({
		model: ai.model,
		system: summarySystemPrompt(c, viewerId, options.language ?? null),
		messages: [
			...promptMessages(c, viewerId),
			{ role: 'user', content: '[Parley, not a participant] Summarize the conversation now.' }
		],
		abortSignal: callSignal(ai, options.signal),
		maxRetries: 0
	}).then(
		(r) => r.text.trim(),
		(err: unknown) => {
			throw failure(err);
		}
	);
	if (!summary) throw new AiFailedError('The summary came back empty; try again.');
	return { summary };
}
