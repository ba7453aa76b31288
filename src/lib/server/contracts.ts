import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { describeContractEvent } from '$lib/contract-text';
import type { ContractAction } from '$lib/schemas/contracts';
import type { Db } from './db';
import { DomainError } from './errors';
import { contractEvents, contracts, offerings, users, type ContractStatus } from './db/schema';
import { appendMessage } from './messaging/append';
import { isPartyOf } from './messaging/parties';
import { checkCanRent } from './moderation/blocks';

export type PartyRole = 'requester' | 'provider';

export interface ContractView {
	id: string;
	title: string;
	status: ContractStatus;
	monthlyPriceCents: number;
	offeringId: string;
	/** `suspended`: an operator suspended the account (trust and safety). */
	requester: { id: string; name: string; suspended: boolean };
	provider: { id: string; name: string; suspended: boolean };
	/** The acting user's side of the contract. */
	role: PartyRole;
	counterpart: { id: string; name: string; suspended: boolean; role: PartyRole };
	createdAt: Date;
	updatedAt: Date;
}

export interface ContractEventView {
	id: string;
	actor: { id: string; name: string };
	fromStatus: ContractStatus | null;
	toStatus: ContractStatus;
	createdAt: Date;
}

export class OwnOfferingError extends DomainError {
	constructor() {
		super(409, 'conflict', 'You cannot rent your own offering.');
	}
}

export class ForbiddenTransitionError extends DomainError {
	constructor(message: string) {
		super(403, 'forbidden', message);
	}
}

export class InvalidTransitionError extends DomainError {
	constructor(message: string) {
		super(409, 'conflict', message);
	}
}

interface TransitionRule {
	to: ContractStatus;
	from: readonly ContractStatus[];
	by: readonly PartyRole[];
}

/** Who may move a contract where: the whole state machine in one table. */
export const TRANSITIONS: Record<ContractAction, TransitionRule> = {
	accept: { to: 'active', from: ['requested'], by: ['provider'] },
	reject: { to: 'rejected', from: ['requested'], by: ['provider'] },
	cancel: { to: 'cancelled', from: ['requested', 'active'], by: ['requester', 'provider'] },
	complete: { to: 'completed', from: ['active'], by: ['provider'] }
};

/** The actions the given party may take on a contract in the given status. */
export function allowedActions(status: ContractStatus, role: PartyRole): ContractAction[] {
	return (Object.keys(TRANSITIONS) as ContractAction[]).filter((action) => {
		const rule = TRANSITIONS[action];
		return rule.from.includes(status) && rule.by.includes(role);
	});
}

const requesterUser = alias(users, 'requester_user');
const providerUser = alias(users, 'provider_user');

const contractColumns = {
	id: contracts.id,
	title: contracts.title,
	status: contracts.status,
	monthlyPriceCents: contracts.monthlyPriceCents,
	offeringId: contracts.offeringId,
	requester: {
		id: requesterUser.id,
		name: requesterUser.displayName,
		suspended: sql<boolean>`${requesterUser.suspendedAt} is not null`
	},
	provider: {
		id: providerUser.id,
		name: providerUser.displayName,
		suspended: sql<boolean>`${providerUser.suspendedAt} is not null`
	},
	createdAt: contracts.createdAt,
	updatedAt: contracts.updatedAt
};

type ContractRow = Omit<ContractView, 'role' | 'counterpart'>;

function toView(row: ContractRow, actorId: string): ContractView {
	const role: PartyRole = row.provider.id === actorId ? 'provider' : 'requester';
	const counterpart = role === 'provider' ? row.requester : row.provider;
	return {
		...row,
		role,
		counterpart: { ...counterpart, role: role === 'provider' ? 'requester' : 'provider' }
	};
}

function selectContracts(db: Db) {
	return db
		.select(contractColumns)
		.from(contracts)
		.innerJoin(requesterUser, eq(contracts.requesterId, requesterUser.id))
		.innerJoin(providerUser, eq(contracts.providerId, providerUser.id));
}

/** The contract if the actor is one of its two parties; null otherwise, exactly as if it did not exist. */
export async function getContractForParty(
	db: Db,
	actorId: string,
	contractId: string
): Promise<ContractView | null> {
	const [row] = await selectContracts(db).where(
		and(eq(contracts.id, contractId), isPartyOf(actorId))
	);
	return row ? toView(row, actorId) : null;
}

/** Contracts where the actor rents or provides, newest first. */
export async function listContractsForUser(
	db: Db,
	actorId: string,
	options: { statuses?: ContractStatus[]; limit?: number } = {}
): Promise<ContractView[]> {
	const rows = await selectContracts(db)
		.where(
			and(
				isPartyOf(actorId),
				options.statuses?.length ? inArray(contracts.status, options.statuses) : undefined
			)
		)
		.orderBy(desc(contracts.createdAt), desc(contracts.id))
		.limit(options.limit ?? 500);
	return rows.map((row) => toView(row, actorId));
}

/**
 * Rents an offering: a contract in `requested`, plus its first event and, when the renter wrote
 * one, their note to the provider as the conversation's first message (already validated with
 * messageBodySchema). Null if no such offering.
 */
export async function rentOffering(
	db: Db,
	actorId: string,
	offeringId: string,
	options: { message?: string } = {}
): Promise<ContractView | null> {
	const id = await db.transaction(async (tx) => {
		const [offering] = await tx.select().from(offerings).where(eq(offerings.id, offeringId));
		if (!offering) return null;
		if (offering.providerId === actorId) throw new OwnOfferingError();
		await checkCanRent(tx, actorId, offering.providerId);
		const [contract] = await tx
			.insert(contracts)
			.values({
				offeringId: offering.id,
				requesterId: actorId,
				providerId: offering.providerId,
				title: offering.name,
				monthlyPriceCents: offering.monthlyPriceCents,
				status: 'requested'
			})
			.returning({ id: contracts.id });
		await tx
			.insert(contractEvents)
			.values({ contractId: contract!.id, actorId, fromStatus: null, toStatus: 'requested' });
		// A request and its note are one thing: if the message cannot be stored, no contract either.
		// Its NOTIFY is delivered when this transaction commits.
		if (options.message) {
			const posted = await appendMessage(tx, { kind: 'user', userId: actorId }, contract!.id, {
				body: options.message
			});
			if (!posted) throw new Error('The renter could not post in their own new contract.');
		}
		return contract!.id;
	});
	return id ? getContractForParty(db, actorId, id) : null;
}

/**
 * Applies one action of the state machine. The UPDATE is conditional on the status it read, so two
 * parties acting at once cannot both win; the event is written in the same transaction.
 * Null when the contract is not the actor's.
 */
export async function transitionContract(
	db: Db,
	actorId: string,
	contractId: string,
	action: ContractAction
): Promise<ContractView | null> {
	const rule = TRANSITIONS[action];
	const changed = await db.transaction(async (tx) => {
		const [contract] = await tx
			.select({
				id: contracts.id,
				title: contracts.title,
				status: contracts.status,
				requesterId: contracts.requesterId,
				providerId: contracts.providerId
			})
			.from(contracts)
			.where(and(eq(contracts.id, contractId), isPartyOf(actorId)))
			.for('update');
		if (!contract) return null;
		const role: PartyRole = contract.providerId === actorId ? 'provider' : 'requester';
		if (!rule.by.includes(role)) {
			throw new ForbiddenTransitionError(
				`Only the ${rule.by.join(' or ')} can ${action} this rental.`
			);
		}
		if (!rule.from.includes(contract.status)) {
			throw new InvalidTransitionError(
				`This rental is ${contract.status}; it can no longer be ${pastTense(action)}.`
			);
		}
		await tx
			.update(contracts)
			.set({ status: rule.to, updatedAt: new Date() })
			.where(eq(contracts.id, contractId));
		await tx.insert(contractEvents).values({
			contractId,
			actorId,
			fromStatus: contract.status,
			toStatus: rule.to
		});
		// The change shows in the conversation too, committed with it or not at all.
		const [actor] = await tx
			.select({ name: users.displayName })
			.from(users)
			.where(eq(users.id, actorId));
		// Its NOTIFY is delivered when this transaction commits.
		await appendMessage(tx, { kind: 'system', causedBy: actorId }, contract.id, {
			body: describeContractEvent(actor!.name, rule.to)
		});
		return true;
	});
	if (!changed) return null;
	return getContractForParty(db, actorId, contractId);
}

function pastTense(action: ContractAction): string {
	return { accept: 'accepted', reject: 'rejected', cancel: 'cancelled', complete: 'completed' }[
		action
	];
}

/** The contract's history, oldest first, for its parties only. */
export async function listContractEvents(
	db: Db,
	actorId: string,
	contractId: string
): Promise<ContractEventView[] | null> {
	const contract = await getContractForParty(db, actorId, contractId);
	if (!contract) return null;
	return db
		.select({
			id: contractEvents.id,
			actor: { id: users.id, name: users.displayName },
			fromStatus: contractEvents.fromStatus,
			toStatus: contractEvents.toStatus,
			createdAt: contractEvents.createdAt
		})
		.from(contractEvents)
		.innerJoin(users, eq(contractEvents.actorId, users.id))
		.where(eq(contractEvents.contractId, contractId))
		.orderBy(asc(contractEvents.createdAt), asc(contractEvents.id));
}
