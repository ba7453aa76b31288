import { eq, sql } from 'drizzle-orm';
import { DEFAULT_ASSISTANT_SETTINGS, type AssistantSettingsJson } from '$lib/schemas/assistant';
import { rowsOf, type Db } from '../db';
import { assistantSettings, assistantThreads } from '../db/schema';
import { findContractForParty } from '../messaging/parties';
import { getThreadForContract } from '../messaging/threads';

/** The user's assistant settings (the defaults, mode off, until they save some). */
export async function getAssistantSettings(db: Db, userId: string): Promise<AssistantSettingsJson> {
	const [row] = await db
		.select({
			mode: assistantSettings.mode,
			instructions: assistantSettings.instructions,
			facts: assistantSettings.facts,
			delayMinutes: assistantSettings.delayMinutes
		})
		.from(assistantSettings)
		.where(eq(assistantSettings.userId, userId));
	return row ?? { ...DEFAULT_ASSISTANT_SETTINGS };
}

/** Saves them; turning the mode on (from off) starts the silence rule afresh. */
export async function putAssistantSettings(
	db: Db,
	userId: string,
	input: AssistantSettingsJson
): Promise<AssistantSettingsJson> {
	const enabledAt = input.mode === 'off' ? null : new Date();
	await db
		.insert(assistantSettings)
		.values({ userId, ...input, enabledAt })
		.onConflictDoUpdate({
			target: assistantSettings.userId,
			set: {
				...input,
				updatedAt: new Date(),
				// Kept while it stays on: editing the facts does not wake it where the provider wrote.
				enabledAt: sql`case when ${input.mode} = 'off' then null
					else coalesce(${assistantSettings.enabledAt}, now()) end`
			}
		});
	return getAssistantSettings(db, userId);
}

export interface ThreadAssistantState {
	/** The provider has an assistant in draft or auto mode. */
	mode: AssistantSettingsJson['mode'];
	/** The provider wrote here since the assistant was turned on: it is silent here. */
	silenced: boolean;
	/** A prepared reply waiting in the provider's composer (draft mode). */
	draft: string | null;
}

/** The assistant's state in the contract's conversation, for its provider; null for anyone else. */
export async function getThreadAssistantState(
	db: Db,
	userId: string,
	contractId: string
): Promise<ThreadAssistantState | null> {
	const contract = await findContractForParty(db, userId, contractId);
	if (!contract || contract.providerId !== userId) return null;
	const [row] = rowsOf<{
		mode: AssistantSettingsJson['mode'] | null;
		silenced: boolean;
		draft: string | null;
	}>(
		await db.execute(sql`
			select s.mode, a.draft,
				exists (
					select 1 from messages pm
					where pm.thread_id = t.id and pm.sender_role = 'user' and pm.sender_id = c.provider_id
						and pm.created_at > coalesce(a.resumed_at, s.enabled_at, '-infinity'::timestamptz)
				) as silenced
			from contracts c
			left join message_threads t on t.contract_id = c.id
			left join assistant_settings s on s.user_id = c.provider_id
			left join assistant_threads a on a.thread_id = t.id
			where c.id = ${contractId}::uuid`)
	);
	return {
		mode: row?.mode ?? 'off',
		silenced: row?.mode ? row.silenced : false,
		draft: row?.draft ?? null
	};
}

/** The provider turns the assistant back on in one conversation after writing there. */
export async function resumeAssistantInThread(
	db: Db,
	userId: string,
	contractId: string
): Promise<boolean> {
	const contract = await findContractForParty(db, userId, contractId);
	if (!contract || contract.providerId !== userId) return false;
	const thread = await getThreadForContract(db, userId, contractId);
	if (!thread) return true;
	await db
		.insert(assistantThreads)
		.values({ threadId: thread.id, resumedAt: new Date() })
		.onConflictDoUpdate({
			target: assistantThreads.threadId,
			set: { resumedAt: new Date(), updatedAt: new Date() }
		});
	return true;
}

/** The provider presses Stop on a reply being written: the writing run sees it within 300 ms. */
export async function stopAssistantReply(
	db: Db,
	userId: string,
	contractId: string
): Promise<boolean> {
	const contract = await findContractForParty(db, userId, contractId);
	if (!contract || contract.providerId !== userId) return false;
	await db.execute(sql`
		update assistant_threads a set stop_requested_at = now()
		from message_threads t
		where t.id = a.thread_id and t.contract_id = ${contractId}::uuid`);
	return true;
}

/** The provider took (or threw away) the waiting draft. */
export async function clearAssistantDraft(db: Db, threadId: string): Promise<void> {
	await db
		.update(assistantThreads)
		.set({ draft: null, updatedAt: new Date() })
		.where(eq(assistantThreads.threadId, threadId));
}
