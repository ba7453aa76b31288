import { and, eq, or, type SQL } from 'drizzle-orm';
import type { Db } from '../db';
import { contracts } from '../db/schema';

// The one answer to "is this user a party of the contract", for every TypeScript caller (the
// write functions in SQL check the same two columns inside their own transaction).

export interface ContractParties {
	id: string;
	title: string;
	requesterId: string;
	providerId: string;
}

/** The SQL condition "the actor is the contract's requester or provider". */
export function isPartyOf(actorId: string): SQL {
	return or(eq(contracts.requesterId, actorId), eq(contracts.providerId, actorId))!;
}

/** The other party of a contract the user is a party of. */
export function counterpartOf(contract: ContractParties, userId: string): string {
	return contract.providerId === userId ? contract.requesterId : contract.providerId;
}

/** The contract if the actor is one of its parties, else null (the caller answers 404). */
export async function findContractForParty(
	db: Db,
	actorId: string,
	contractId: string
): Promise<ContractParties | null> {
	const [row] = await db
		.select({
			id: contracts.id,
			title: contracts.title,
			requesterId: contracts.requesterId,
			providerId: contracts.providerId
		})
		.from(contracts)
		.where(and(eq(contracts.id, contractId), isPartyOf(actorId)));
	return row ?? null;
}
