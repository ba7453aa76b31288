import { and, asc, desc, eq, inArray, or, sql } from 'drizzle-orm';
import type { Db } from '../db';
import { isoTime } from '../db/iso-time';
import {
	contracts,
	messageThreadParticipants as participants,
	messageThreads,
	userBlocks,
	users
} from '../db/schema';
import { DomainError } from '../errors';

// Blocking: the blocked person cannot start new rentals with the blocker. Contracts are
// commitments, so shared conversations stay; the block mutes them for the blocker (no email, not
// in the badge) and lifting it unmutes only what it muted.

export class RentalRefusedError extends DomainError {
	constructor(message: string) {
		super(403, 'forbidden', message);
	}
}

/** Whether the two users share a contract: only a counterpart can be blocked or reported. */
export async function areCounterparts(db: Db, userId: string, otherId: string): Promise<boolean> {
	if (userId === otherId) return false;
	const [row] = await db
		.select({ id: contracts.id })
		.from(contracts)
		.where(
			or(
				and(eq(contracts.requesterId, userId), eq(contracts.providerId, otherId)),
				and(eq(contracts.providerId, userId), eq(contracts.requesterId, otherId))
			)
		)
		.limit(1);
	return Boolean(row);
}

async function sharedThreadIds(db: Db, userId: string, otherId: string): Promise<string[]> {
	const rows = await db
		.select({ id: messageThreads.id })
		.from(messageThreads)
		.innerJoin(contracts, eq(contracts.id, messageThreads.contractId))
		.where(
			or(
				and(eq(contracts.requesterId, userId), eq(contracts.providerId, otherId)),
				and(eq(contracts.providerId, userId), eq(contracts.requesterId, otherId))
			)
		);
	return rows.map((r) => r.id);
}

/**
 * `blockerId` blocks `blockedId`. Null when they share no contract (the caller answers 404, as
 * for a user who does not exist); true when the block is new, false when it already was.
 */
export async function blockUser(
	db: Db,
	blockerId: string,
	blockedId: string
): Promise<boolean | null> {
	if (!(await areCounterparts(db, blockerId, blockedId))) return null;
	return db.transaction(async (tx) => {
		const threadIds = await sharedThreadIds(tx, blockerId, blockedId);
		// The blocker's own mutes stay theirs: only the threads this block mutes are remembered.
		const muted = threadIds.length
			? await tx
					.update(participants)
					.set({ muted: true })
					.where(
						and(
							eq(participants.userId, blockerId),
							inArray(participants.threadId, threadIds),
							eq(participants.muted, false)
						)
					)
					.returning({ threadId: participants.threadId })
			: [];
		const inserted = await tx
			.insert(userBlocks)
			.values({ blockerId, blockedId, mutedThreadIds: muted.map((m) => m.threadId) })
			.onConflictDoNothing()
			.returning({ blockedId: userBlocks.blockedId });
		if (inserted.length === 0 && muted.length > 0) {
			await tx
				.update(userBlocks)
				.set({
					mutedThreadIds: sql`${userBlocks.mutedThreadIds} || ${`{${muted.map((m) => m.threadId).join(',')}}`}::uuid[]`
				})
				.where(and(eq(userBlocks.blockerId, blockerId), eq(userBlocks.blockedId, blockedId)));
		}
		return inserted.length > 0;
	});
}

/**
 * Lifts a block: true when it was lifted, false when there was none with this counterpart, null
 * for anyone else (the caller answers 404). A block outlives the shared contract that allowed it
 * (if that is deleted), so it can always be lifted.
 */
export async function unblockUser(
	db: Db,
	blockerId: string,
	blockedId: string
): Promise<boolean | null> {
	const lifted = await db.transaction(async (tx) => {
		const [removed] = await tx
			.delete(userBlocks)
			.where(and(eq(userBlocks.blockerId, blockerId), eq(userBlocks.blockedId, blockedId)))
			.returning({ mutedThreadIds: userBlocks.mutedThreadIds });
		if (!removed) return false;
		if (removed.mutedThreadIds.length > 0) {
			await tx
				.update(participants)
				.set({ muted: false })
				.where(
					and(
						eq(participants.userId, blockerId),
						inArray(participants.threadId, removed.mutedThreadIds)
					)
				);
		}
		return true;
	});
	if (lifted) return true;
	return (await areCounterparts(db, blockerId, blockedId)) ? false : null;
}

export interface BlockedPerson {
	userId: string;
	displayName: string;
	blockedAt: string;
}

/** The people `blockerId` has blocked, most recent first. */
export async function listBlocks(db: Db, blockerId: string): Promise<BlockedPerson[]> {
	return db
		.select({
			userId: userBlocks.blockedId,
			displayName: users.displayName,
			blockedAt: isoTime(userBlocks.createdAt)
		})
		.from(userBlocks)
		.innerJoin(users, eq(users.id, userBlocks.blockedId))
		.where(eq(userBlocks.blockerId, blockerId))
		.orderBy(desc(userBlocks.createdAt), asc(userBlocks.blockedId));
}

/** Whether `blockerId` has blocked `blockedId`. */
export async function hasBlocked(db: Db, blockerId: string, blockedId: string): Promise<boolean> {
	const [row] = await db
		.select({ id: userBlocks.blockedId })
		.from(userBlocks)
		.where(and(eq(userBlocks.blockerId, blockerId), eq(userBlocks.blockedId, blockedId)));
	return Boolean(row);
}

/**
 * Refuses a new rental between a requester and a provider when either blocked the other or the
 * provider is suspended. Run inside rentOffering's transaction.
 */
export async function checkCanRent(db: Db, requesterId: string, providerId: string): Promise<void> {
	const blocks = await db
		.select({ blockerId: userBlocks.blockerId })
		.from(userBlocks)
		.where(
			or(
				and(eq(userBlocks.blockerId, providerId), eq(userBlocks.blockedId, requesterId)),
				and(eq(userBlocks.blockerId, requesterId), eq(userBlocks.blockedId, providerId))
			)
		);
	if (blocks.some((b) => b.blockerId === requesterId)) {
		throw new RentalRefusedError('You blocked this provider. Unblock them to rent from them.');
	}
	if (blocks.length > 0) {
		throw new RentalRefusedError('This provider is not taking rentals from you.');
	}
	const [provider] = await db
		.select({ suspended: sql<boolean>`${users.suspendedAt} is not null` })
		.from(users)
		.where(eq(users.id, providerId));
	if (provider?.suspended) {
		throw new RentalRefusedError('This provider’s account is suspended.');
	}
}
