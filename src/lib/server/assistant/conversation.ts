import { eq } from 'drizzle-orm';
import type { ModelMessage } from 'ai';
import type { MessageJson } from '$lib/schemas/messaging';
import type { Db } from '../db';
import { contracts, offerings, users } from '../db/schema';
import { listMessages } from '../messaging/threads';
import { toModelMessages } from '../messaging/ai-sdk';
import { alias } from 'drizzle-orm/pg-core';

/** How many of the newest messages a prompt carries. */
export const PROMPT_MESSAGES = 200;

export interface ConversationContext {
	contractId: string;
	title: string;
	status: string;
	monthlyPriceCents: number;
	offeringId: string;
	offeringName: string;
	offeringDescription: string;
	requesterId: string;
	requesterName: string;
	providerId: string;
	providerName: string;
	messages: MessageJson[];
}

const requester = alias(users, 'requester');
const provider = alias(users, 'provider');

/** The contract and its newest messages as `viewerId` sees them; null when not theirs. */
export async function loadConversation(
	db: Db,
	viewerId: string,
	contractId: string
): Promise<ConversationContext | null> {
	const page = await listMessages(db, viewerId, contractId, { limit: PROMPT_MESSAGES });
	if (!page) return null;
	const [row] = await db
		.select({
			title: contracts.title,
			status: contracts.status,
			monthlyPriceCents: contracts.monthlyPriceCents,
			offeringId: offerings.id,
			offeringName: offerings.name,
			offeringDescription: offerings.description,
			requesterId: contracts.requesterId,
			requesterName: requester.displayName,
			providerId: contracts.providerId,
			providerName: provider.displayName
		})
		.from(contracts)
		.innerJoin(offerings, eq(offerings.id, contracts.offeringId))
		.innerJoin(requester, eq(requester.id, contracts.requesterId))
		.innerJoin(provider, eq(provider.id, contracts.providerId))
		.where(eq(contracts.id, contractId));
	if (!row) return null;
	return { contractId, ...row, messages: page.messages };
}

export function firstName(name: string): string {
	return name.trim().split(/\s+/)[0] || name;
}

/** The contract's facts as the app knows them (never from message text). */
export function contractFacts(c: ConversationContext): string {
	return [
		`Rental: ${c.title} (offering "${c.offeringName}")`,
		`Offering description: ${c.offeringDescription}`,
		`Monthly price: ${(c.monthlyPriceCents / 100).toFixed(2)}`,
		`Contract status: ${c.status}`,
		`Provider: ${c.providerName}; renter: ${c.requesterName}`
	].join('\n');
}

/**
 * The conversation for a model writing as `speakerId`. Every other party's message is quoted as
 * their words inside a user turn, so nothing a participant wrote reaches the model as an instruction;
 * the system prompt says so too.
 */
export function promptMessages(c: ConversationContext, speakerId: string): ModelMessage[] {
	return toModelMessages(c.messages, speakerId);
}
