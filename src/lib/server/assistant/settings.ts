import { asc, eq, sql } from 'drizzle-orm';
import {
	DEFAULT_ASSISTANT_SETTINGS,
	type AssistantSettingsJson,
	type OfferingAssistantInput,
	type OfferingAssistantJson
} from '$lib/schemas/assistant';
import { rowsOf, type Db } from '../db';
import {
	assistantOfferingSettings,
	assistantSettings,
	assistantThreads,
	offerings
} from '../db/schema';
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

// A provider's default plus one offering's own settings: what the assistant does for a contract of
// that offering. The cron step computes the same in SQL (EFFECTIVE_* below), from the same rows.

/** The effective mode, delay and silence start of a contract `c` (with `s`, `o` joined as below). */
export const EFFECTIVE_MODE = sql.raw(`coalesce(o.mode, s.mode, 'off')`);
export const EFFECTIVE_DELAY = sql.raw(
	`coalesce(o.delay_minutes, s.delay_minutes, ${DEFAULT_ASSISTANT_SETTINGS.delayMinutes})`
);
export const EFFECTIVE_ENABLED_AT = sql.raw(
	`case when o.mode is not null then o.enabled_at else s.enabled_at end`
);
/** Joins `s` (the provider's default) and `o` (the offering's own) to a contract `c`. */
export const SETTINGS_JOINS = sql.raw(`
	left join assistant_settings s on s.user_id = c.provider_id
	left join assistant_offering_settings o on o.offering_id = c.offering_id`);

type OfferingRow = {
	offeringId: string;
	offeringName: string;
	mode: AssistantSettingsJson['mode'] | null;
	instructions: string | null;
	facts: string | null;
	delayMinutes: number | null;
};

function offeringView(row: OfferingRow, defaults: AssistantSettingsJson): OfferingAssistantJson {
	return {
		offeringId: row.offeringId,
		offeringName: row.offeringName,
		mode: row.mode,
		instructions: row.instructions ?? '',
		facts: row.facts ?? '',
		delayMinutes: row.delayMinutes,
		effective: {
			mode: row.mode ?? defaults.mode,
			delayMinutes: row.delayMinutes ?? defaults.delayMinutes
		}
	};
}

function selectOfferings(db: Db) {
	return db
		.select({
			offeringId: offerings.id,
			offeringName: offerings.name,
			mode: assistantOfferingSettings.mode,
			instructions: assistantOfferingSettings.instructions,
			facts: assistantOfferingSettings.facts,
			delayMinutes: assistantOfferingSettings.delayMinutes,
			providerId: offerings.providerId
		})
		.from(offerings)
		.leftJoin(assistantOfferingSettings, eq(assistantOfferingSettings.offeringId, offerings.id));
}

/** The provider's offerings with their own assistant settings and the effective ones. */
export async function listOfferingAssistants(
	db: Db,
	userId: string
): Promise<OfferingAssistantJson[]> {
	const defaults = await getAssistantSettings(db, userId);
	const rows = await selectOfferings(db)
		.where(eq(offerings.providerId, userId))
		.orderBy(asc(offerings.name), asc(offerings.id));
	return rows.map((row) => offeringView(row, defaults));
}

/** One offering's assistant; null when the offering is not the user's. */
export async function getOfferingAssistant(
	db: Db,
	userId: string,
	offeringId: string
): Promise<OfferingAssistantJson | null> {
	const [row] = await selectOfferings(db).where(eq(offerings.id, offeringId));
	if (!row || row.providerId !== userId) return null;
	return offeringView(row, await getAssistantSettings(db, userId));
}

/**
 * Saves the offering's own settings; null when it is not the user's. Like the default's, the
 * silence rule starts afresh only when the assistant comes on for this offering: a conversation
 * where it was already on (by the default) keeps its start.
 */
export async function putOfferingAssistant(
	db: Db,
	userId: string,
	offeringId: string,
	input: OfferingAssistantInput
): Promise<OfferingAssistantJson | null> {
	const current = await getOfferingAssistant(db, userId, offeringId);
	if (!current) return null;
	const [row] = await db
		.select({
			ownEnabledAt: assistantOfferingSettings.enabledAt,
			defaultEnabledAt: assistantSettings.enabledAt
		})
		.from(offerings)
		.leftJoin(assistantOfferingSettings, eq(assistantOfferingSettings.offeringId, offerings.id))
		.leftJoin(assistantSettings, eq(assistantSettings.userId, offerings.providerId))
		.where(eq(offerings.id, offeringId));
	const wasOnSince =
		current.effective.mode === 'off'
			? null
			: ((current.mode === null ? row?.defaultEnabledAt : row?.ownEnabledAt) ?? null);
	const enabledAt = input.mode === null || input.mode === 'off' ? null : (wasOnSince ?? new Date());
	const values = { ...input, enabledAt, updatedAt: new Date() };
	await db
		.insert(assistantOfferingSettings)
		.values({ offeringId, ...values })
		.onConflictDoUpdate({ target: assistantOfferingSettings.offeringId, set: values });
	return getOfferingAssistant(db, userId, offeringId);
}

/** The offering goes back to the provider's default; false when it is not theirs. */
export async function resetOfferingAssistant(
	db: Db,
	userId: string,
	offeringId: string
): Promise<boolean> {
	if (!(await getOfferingAssistant(db, userId, offeringId))) return false;
	await db
		.delete(assistantOfferingSettings)
		.where(eq(assistantOfferingSettings.offeringId, offeringId));
	return true;
}

/** What the provider's assistant knows for a contract: the default's texts and the offering's. */
export interface AssistantBrief {
	instructions: string;
	facts: string;
	offeringInstructions: string;
	offeringFacts: string;
}

export async function getAssistantBrief(
	db: Db,
	providerId: string,
	offeringId: string
): Promise<AssistantBrief> {
	const defaults = await getAssistantSettings(db, providerId);
	const [own] = await db
		.select({
			instructions: assistantOfferingSettings.instructions,
			facts: assistantOfferingSettings.facts
		})
		.from(assistantOfferingSettings)
		.where(eq(assistantOfferingSettings.offeringId, offeringId));
	return {
		instructions: defaults.instructions,
		facts: defaults.facts,
		offeringInstructions: own?.instructions ?? '',
		offeringFacts: own?.facts ?? ''
	};
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
			select ${EFFECTIVE_MODE} as mode, a.draft,
				exists (
					select 1 from messages pm
					where pm.thread_id = t.id and pm.sender_role = 'user' and pm.sender_id = c.provider_id
						and pm.created_at > coalesce(a.resumed_at, ${EFFECTIVE_ENABLED_AT}, '-infinity'::timestamptz)
				) as silenced
			from contracts c
			left join message_threads t on t.contract_id = c.id
			${SETTINGS_JOINS}
			left join assistant_threads a on a.thread_id = t.id
			where c.id = ${contractId}::uuid`)
	);
	const mode = row?.mode ?? 'off';
	return {
		mode,
		silenced: mode !== 'off' ? Boolean(row?.silenced) : false,
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
