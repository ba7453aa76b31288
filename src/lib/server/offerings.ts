import { and, desc, eq } from 'drizzle-orm';
import type { OfferingInput } from '$lib/schemas/offerings';
import type { Db } from './db';
import { offerings, users } from './db/schema';

export interface OfferingView {
	id: string;
	name: string;
	description: string;
	monthlyPriceCents: number;
	provider: { id: string; name: string };
	createdAt: Date;
	updatedAt: Date;
}

const offeringColumns = {
	id: offerings.id,
	name: offerings.name,
	description: offerings.description,
	monthlyPriceCents: offerings.monthlyPriceCents,
	provider: { id: users.id, name: users.displayName },
	createdAt: offerings.createdAt,
	updatedAt: offerings.updatedAt
};

/** The public catalogue, newest first. */
export function listOfferings(db: Db, limit = 200): Promise<OfferingView[]> {
	return db
		.select(offeringColumns)
		.from(offerings)
		.innerJoin(users, eq(offerings.providerId, users.id))
		.orderBy(desc(offerings.createdAt), desc(offerings.id))
		.limit(limit);
}

export function listProviderOfferings(db: Db, providerId: string): Promise<OfferingView[]> {
	return db
		.select(offeringColumns)
		.from(offerings)
		.innerJoin(users, eq(offerings.providerId, users.id))
		.where(eq(offerings.providerId, providerId))
		.orderBy(desc(offerings.createdAt), desc(offerings.id));
}

export async function getOffering(db: Db, id: string): Promise<OfferingView | null> {
	const [row] = await db
		.select(offeringColumns)
		.from(offerings)
		.innerJoin(users, eq(offerings.providerId, users.id))
		.where(eq(offerings.id, id));
	return row ?? null;
}

/** The actor's own offering, or null: someone else's offering is "not found" to them. */
export async function getOwnOffering(
	db: Db,
	actorId: string,
	id: string
): Promise<OfferingView | null> {
	const offering = await getOffering(db, id);
	return offering && offering.provider.id === actorId ? offering : null;
}

export async function createOffering(
	db: Db,
	actorId: string,
	input: OfferingInput
): Promise<{ id: string }> {
	const [row] = await db
		.insert(offerings)
		.values({
			providerId: actorId,
			name: input.name,
			description: input.description,
			monthlyPriceCents: input.monthlyPrice
		})
		.returning({ id: offerings.id });
	return row!;
}

/** Updates the actor's own offering; null when it does not exist or is not theirs. */
export async function updateOffering(
	db: Db,
	actorId: string,
	id: string,
	input: OfferingInput
): Promise<{ id: string } | null> {
	const [row] = await db
		.update(offerings)
		.set({
			name: input.name,
			description: input.description,
			monthlyPriceCents: input.monthlyPrice,
			updatedAt: new Date()
		})
		.where(and(eq(offerings.id, id), eq(offerings.providerId, actorId)))
		.returning({ id: offerings.id });
	return row ?? null;
}
