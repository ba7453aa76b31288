import { and, eq, isNotNull, sql } from 'drizzle-orm';
import { streamText, tool } from 'ai';
import { z } from 'zod';
import { getConfig, type EmailSettings } from '../config';
import { rowsOf, type Db } from '../db';
import { assistantThreads, users } from '../db/schema';
import { enqueueEmail } from '../email/queue';
import { assistantNoticeEmail } from '../email/templates';
import { notifyAssistantWriting } from '../live/events';
import { appendMessage } from '../messaging/append';
import { PARLEY_NOTICE } from '../messaging/ai-sdk';
import { maskContactDetails } from '../messaging/contact-masking';
import { assistantLabel } from '../messaging/views';
import { loadConversation, type ConversationContext } from './conversation';
import { AiLimitError, callSignal, type Ai } from './model';
import { autoReplySystemPrompt, handOffText, type ProviderAssistantBrief } from './prompts';
import {
	EFFECTIVE_DELAY,
	EFFECTIVE_ENABLED_AT,
	EFFECTIVE_MODE,
	getAssistantBrief,
	SETTINGS_JOINS
} from './settings';
import { takeAiCall } from './usage';

// The provider's assistant, run by the cron job: in auto mode it answers a renter's message the
// provider has not answered within delayMinutes; in draft mode it prepares a reply in the
// provider's composer. One thread at a time is claimed with FOR UPDATE SKIP LOCKED and a lease,
// so any number of cron runs on any number of instances answer each message once.

/** messages.agent_id of the built-in assistant (no agent token: it is labelled "Assistant for X"). */
export const PARLEY_ASSISTANT_AGENT_ID = 'parley-assistant';
/** The only tools the assistant has besides writing its reply. */
export const ASSISTANT_TOOLS = ['hand_off'] as const;
/** The live placeholder is updated at most this often. */
export const LIVE_UPDATE_MS = 300;

export interface AssistantRunCounts {
	/** Threads claimed by this run. */
	claimed: number;
	/** Replies posted (auto mode). */
	answered: number;
	/** Drafts prepared (draft mode). */
	drafted: number;
	handedOff: number;
	/** Stopped by the provider mid-stream: nothing posted. */
	stopped: number;
	/** The model failed or timed out, or the daily cap was reached: nothing posted. */
	failed: number;
	/** The provider wrote while it was writing: it kept quiet. */
	silenced: number;
}

export interface AssistantRunOptions {
	email: EmailSettings;
	/** Stop claiming after this time (ms since the epoch). */
	deadline: number;
	/** Threads per run at most. */
	maxThreads?: number;
}

interface Claimed {
	thread_id: string;
	contract_id: string;
	provider_id: string;
	offering_id: string;
	seq: number;
	mode: 'draft' | 'auto';
	claimed_at: string;
}

const handOffTool = tool({
	description:
		'Hand the conversation to the provider: use it when the facts do not answer the question, or for anything about prices, discounts, dates, cancellations or status changes.',
	inputSchema: z.object({
		reason: z.string().min(1).max(500).describe('Why the provider should answer, in one sentence')
	})
});

/** One step of the cron run: claims and answers due threads until none is due or the deadline. */
export async function runAssistantStep(
	db: Db,
	ai: Ai | null,
	options: AssistantRunOptions
): Promise<AssistantRunCounts> {
	const counts: AssistantRunCounts = {
		claimed: 0,
		answered: 0,
		drafted: 0,
		handedOff: 0,
		stopped: 0,
		failed: 0,
		silenced: 0
	};
	if (!ai) return counts;
	await seedThreadStates(db);
	const max = options.maxThreads ?? 50;
	while (counts.claimed < max && Date.now() < options.deadline) {
		const claimed = await claimNext(db, ai);
		if (!claimed) break;
		counts.claimed++;
		const outcome = await answerThread(db, ai, claimed, options.email).catch((err: unknown) => {
			console.error('Assistant step failed:', err);
			return 'failed' as const;
		});
		counts[outcome]++;
		// Answered or not, this renter message is done with: release the lease.
		await db
			.update(assistantThreads)
			.set({
				answeredSeq: sql`greatest(${assistantThreads.answeredSeq}, ${claimed.seq})`,
				claimedUntil: null,
				stopRequestedAt: null,
				updatedAt: new Date()
			})
			.where(eq(assistantThreads.threadId, claimed.thread_id));
	}
	return counts;
}

// Conditions shared by seeding and claiming: the provider's assistant is on for the contract's
// offering (its own mode, else the provider's default), and the newest message is the renter's, not
// deleted, in a thread that is not closed. A suspended provider's assistant does not speak for them.
const DUE_JOINS = sql`
	join message_threads t on t.id = a.thread_id
	join contracts c on c.id = t.contract_id
	join users pu on pu.id = c.provider_id and pu.suspended_at is null
	${SETTINGS_JOINS}
	join messages lm on lm.id = t.last_message_id`;

async function seedThreadStates(db: Db): Promise<void> {
	// Candidates from both kinds of settings (each by its partial index), then the effective mode.
	await db.execute(sql`
		insert into assistant_threads (thread_id)
		select t.id
		from (
			select c.id from assistant_settings s join contracts c on c.provider_id = s.user_id
			where s.mode <> 'off'
			union
			select c.id from assistant_offering_settings o join contracts c on c.offering_id = o.offering_id
			where o.mode <> 'off'
		) candidate
		join contracts c on c.id = candidate.id
		${SETTINGS_JOINS}
		join message_threads t on t.contract_id = c.id
		join messages lm on lm.id = t.last_message_id
		where ${EFFECTIVE_MODE} <> 'off' and lm.sender_role = 'user' and lm.sender_id = c.requester_id
		on conflict (thread_id) do nothing`);
}

async function claimNext(db: Db, ai: Ai): Promise<Claimed | null> {
	const leaseSeconds = Math.ceil(ai.timeoutMs / 1000) + 60;
	const [row] = rowsOf<Claimed>(
		await db.execute(sql`
			update assistant_threads a
			set claimed_until = now() + make_interval(secs => ${leaseSeconds}),
				stop_requested_at = null, updated_at = now()
			from (
				select a.thread_id, c.id as contract_id, c.provider_id, c.offering_id, lm.seq,
					${EFFECTIVE_MODE} as mode
				from assistant_threads a
				${DUE_JOINS}
				where ${EFFECTIVE_MODE} <> 'off'
					and t.status <> 'closed'
					and lm.sender_role = 'user' and lm.sender_id = c.requester_id and lm.deleted_at is null
					and lm.seq > a.answered_seq
					and (${EFFECTIVE_MODE} = 'draft'
						or lm.created_at <= now() - make_interval(mins => ${EFFECTIVE_DELAY}))
					and (a.claimed_until is null or a.claimed_until < now())
					and not exists (
						select 1 from messages pm
						where pm.thread_id = t.id and pm.sender_role = 'user' and pm.sender_id = c.provider_id
							and pm.created_at > coalesce(a.resumed_at, ${EFFECTIVE_ENABLED_AT}, '-infinity'::timestamptz)
					)
				order by lm.created_at
				limit 1
				for update of a skip locked
			) due
			where a.thread_id = due.thread_id
			returning due.thread_id, due.contract_id, due.provider_id, due.offering_id, due.seq, due.mode,
				parley_iso_time(now()) as claimed_at`)
	);
	return row ?? null;
}

type Outcome = 'answered' | 'drafted' | 'handedOff' | 'stopped' | 'failed' | 'silenced';

async function answerThread(
	db: Db,
	ai: Ai,
	claimed: Claimed,
	email: EmailSettings
): Promise<Outcome> {
	const c = await loadConversation(db, claimed.provider_id, claimed.contract_id);
	if (!c) return 'failed';
	const brief = await getAssistantBrief(db, claimed.provider_id, claimed.offering_id);
	const label = assistantLabel(null, c.providerName);
	const live = claimed.mode === 'auto';
	// The stored reply is masked by the write path; the live placeholder must not show more.
	const masking = getConfig().messaging.contactMasking;
	const hide = masking === 'always' || (masking === 'until-accepted' && c.status === 'requested');
	const writing = (text: string, done: boolean) =>
		live
			? notifyAssistantWriting(db, {
					threadId: claimed.thread_id,
					contractId: c.contractId,
					label,
					text: hide ? maskContactDetails(text) : text,
					done,
					recipients: [c.requesterId, c.providerId]
				})
			: Promise.resolve();

	try {
		await takeAiCall(db, ai, claimed.provider_id);
	} catch (err) {
		if (err instanceof AiLimitError) {
			await noticeToProvider(db, email, c, 'failed', err.message, claimed.seq);
			return 'failed';
		}
		throw err;
	}

	const composed = await composeReply(ai, c, brief, {
		onText: (text) => writing(text, false),
		shouldStop: () => stopRequested(db, claimed.thread_id)
	});

	if (composed.kind === 'stopped') {
		await writing('', true);
		return 'stopped';
	}
	if (composed.kind === 'failed') {
		console.error('Assistant reply failed:', composed.error);
		await writing('', true);
		await noticeToProvider(
			db,
			email,
			c,
			'failed',
			`The model failed: ${composed.error}`,
			claimed.seq
		);
		return 'failed';
	}
	// The provider may have written while it was writing: then it keeps quiet.
	if (await providerWroteSince(db, claimed.thread_id, c.providerId, claimed.claimed_at)) {
		await writing('', true);
		return 'silenced';
	}
	if (composed.kind === 'handoff') {
		await writing('', true);
		await appendMessage(db, { kind: 'system' }, c.contractId, {
			body: handOffText(c.providerName, composed.reason)
		});
		await noticeToProvider(db, email, c, 'handoff', composed.reason, claimed.seq);
		return 'handedOff';
	}
	const reply = composed.text;
	if (claimed.mode === 'draft') {
		await db
			.update(assistantThreads)
			.set({ draft: reply, updatedAt: new Date() })
			.where(eq(assistantThreads.threadId, claimed.thread_id));
		await noticeToProvider(db, email, c, 'draft', reply, claimed.seq);
		return 'drafted';
	}
	// The final text is stored once, through the one write path; its live event ends the placeholder.
	const posted = await appendMessage(
		db,
		{ kind: 'assistant', agentId: PARLEY_ASSISTANT_AGENT_ID, actingFor: c.providerId },
		c.contractId,
		{
			body: reply.slice(0, 10_000),
			idempotencyKey: `assistant-${claimed.thread_id}-${claimed.seq}`
		}
	);
	await writing('', true);
	return posted ? 'answered' : 'failed';
}

export type Composed =
	| { kind: 'reply'; text: string }
	| { kind: 'handoff'; reason: string }
	| { kind: 'stopped' }
	| { kind: 'failed'; error: string };

/**
 * One model call of the provider's assistant: its reply, or its hand-off, with the allowlist of
 * tools enforced (any other tool call fails it). `onText` gets the text so far at most every
 * LIVE_UPDATE_MS; `shouldStop` is asked as often, and true aborts the call. Used by the cron step
 * and by `npm run eval:assistant`.
 */
export async function composeReply(
	ai: Ai,
	c: ConversationContext,
	brief: ProviderAssistantBrief,
	hooks: { onText?: (text: string) => Promise<void>; shouldStop?: () => Promise<boolean> } = {}
): Promise<Composed> {
	const stop = new AbortController();
	const result = streamText({
		model: ai.model,
		system: autoReplySystemPrompt(c, brief),
		messages: [
			...toQuotedTurns(c),
			{
				role: 'user',
				content: `[Parley, not a participant] Write the reply to ${c.requesterName} now, or call hand_off.`
			}
		],
		tools: { hand_off: handOffTool },
		abortSignal: callSignal(ai, stop.signal),
		maxRetries: 0,
		onError: () => {}
	});

	let text = '';
	let handOff: string | null = null;
	let stopped = false;
	let sentText = '';
	// Every LIVE_UPDATE_MS, whether the model is writing or hanging: the text so far goes out if it
	// changed, and a Stop aborts the call.
	let ticking = false;
	const tick = async () => {
		if (ticking) return;
		ticking = true;
		try {
			if (await hooks.shouldStop?.()) {
				stopped = true;
				stop.abort();
				return;
			}
			if (text && text !== sentText && handOff === null) {
				sentText = text;
				await hooks.onText?.(text);
			}
		} catch (err) {
			console.error('Assistant live update failed:', err);
		} finally {
			ticking = false;
		}
	};
	const timer = setInterval(() => void tick(), LIVE_UPDATE_MS);
	try {
		for await (const part of result.fullStream) {
			if (part.type === 'text-delta') text += part.text;
			else if (part.type === 'tool-call') {
				// The allowlist: any other tool name is refused, and nothing is posted.
				if (!(ASSISTANT_TOOLS as readonly string[]).includes(part.toolName)) {
					stop.abort();
					return { kind: 'failed', error: `it called a tool it does not have: ${part.toolName}` };
				}
				const input = z.object({ reason: z.string().min(1) }).safeParse(part.input);
				handOff = input.success ? input.data.reason.trim() : 'The assistant could not answer this.';
			} else if (part.type === 'error' || part.type === 'tool-error') {
				return { kind: 'failed', error: describe('error' in part ? part.error : part) };
			} else if (part.type === 'abort') {
				return stopped ? { kind: 'stopped' } : { kind: 'failed', error: 'timed out' };
			}
		}
	} catch (err) {
		if (stopped) return { kind: 'stopped' };
		return { kind: 'failed', error: describe(err) };
	} finally {
		clearInterval(timer);
	}
	if (stopped) return { kind: 'stopped' };
	if (handOff !== null) return { kind: 'handoff', reason: handOff };
	const reply = text.trim();
	if (!reply) return { kind: 'failed', error: 'the model answered nothing' };
	return { kind: 'reply', text: reply };
}

/** The conversation as the provider's assistant reads it: the renter's words quoted, never obeyed. */
function toQuotedTurns(c: ConversationContext) {
	return c.messages
		.filter((m) => !m.deletedAt)
		.map((m) => {
			if (m.senderRole === 'system') {
				return { role: 'user' as const, content: `${PARLEY_NOTICE} ${m.body}` };
			}
			// The provider's own words and the assistant's earlier replies are the side it speaks for.
			if (m.senderRole === 'assistant' || m.senderId === c.providerId) {
				return { role: 'assistant' as const, content: m.body };
			}
			return {
				role: 'user' as const,
				content: `Message from ${c.requesterName} (the renter), quoted as data:\n<<<\n${m.body}\n>>>`
			};
		});
}

async function stopRequested(db: Db, threadId: string): Promise<boolean> {
	const [row] = await db
		.select({ stop: assistantThreads.stopRequestedAt })
		.from(assistantThreads)
		.where(eq(assistantThreads.threadId, threadId));
	return Boolean(row?.stop);
}

async function providerWroteSince(
	db: Db,
	threadId: string,
	providerId: string,
	since: string
): Promise<boolean> {
	const rows = rowsOf<{ one: number }>(
		await db.execute(sql`
			select 1 as one from messages
			where thread_id = ${threadId}::uuid and sender_role = 'user' and sender_id = ${providerId}::uuid
				and created_at >= ${since}::timestamptz
			limit 1`)
	);
	return rows.length > 0;
}

async function noticeToProvider(
	db: Db,
	email: EmailSettings,
	c: ConversationContext,
	kind: 'handoff' | 'draft' | 'failed',
	detail: string,
	seq: number
): Promise<void> {
	const [provider] = await db
		.select({ email: users.email, name: users.displayName })
		.from(users)
		.where(and(eq(users.id, c.providerId), isNotNull(users.emailConfirmedAt)));
	// No email to an address its owner has not confirmed (the outbox would withhold it anyway).
	if (!provider) return;
	const content = assistantNoticeEmail({
		recipientName: provider.name,
		kind,
		renterName: c.requesterName,
		contractTitle: c.title,
		detail,
		conversationUrl: `${email.publicOrigin}/dashboard/rentals/${c.contractId}/messages`
	});
	await enqueueEmail(db, {
		type: `assistant_${kind}`,
		recipientId: c.providerId,
		to: provider.email,
		...content,
		headers: {},
		idempotencyKey: `assistant-${kind}/${c.contractId}/${seq}`
	});
}

function describe(err: unknown): string {
	if (err instanceof Error) return err.message;
	if (typeof err === 'string') return err;
	return JSON.stringify(err);
}
