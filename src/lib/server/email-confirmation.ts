import { randomUUID } from 'node:crypto';
import { sha256 } from '@oslojs/crypto/sha2';
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from '@oslojs/encoding';
import { and, eq, gt, isNotNull, isNull, ne, sql } from 'drizzle-orm';
import type { EmailSettings, RateLimitSettings } from './config';
import type { Db } from './db';
import { emailConfirmations, users } from './db/schema';
import { enqueueEmail } from './email/queue';
import { accountExistsEmail, confirmEmailEmail } from './email/templates';
import { exceeded, hitLimits, RateLimitedError, waitText } from './rate-limit';

// Proving an address (issue #13, finding 4). A link carries a random token (160 bits); the table
// keeps only its SHA-256, so a leaked table confirms nothing. A link works once, for 24 hours, and
// only the newest one of an account works. Until an account confirms its address, no email but
// this link goes to it (email/queue.ts withholds the rest).

export const CONFIRMATION_LIFETIME_MS = 24 * 60 * 60 * 1000;
const DAY_SECONDS = 24 * 60 * 60;

export type ConfirmationSettings = Pick<
	RateLimitSettings,
	'confirmationCooldownSeconds' | 'confirmationEmailsPerDay'
>;

function tokenHash(token: string): string {
	return encodeHexLowerCase(sha256(new TextEncoder().encode(token)));
}

export const CONFIRMATION_TOKEN_PATTERN = /^[a-z2-7]{32}$/;

/**
 * Queues the email that answers a sign-up or a "send the link again": the confirmation link, or,
 * when another account has already confirmed the address, "you already have an account" to it.
 * Which one is never said to the caller. At most one such email per address per cooldown and a
 * few a day, whoever asks, so neither sign-up nor the resend button can flood an inbox: over the
 * limit it throws RateLimitedError. Answers the queued email's id, or null when the account is
 * confirmed already (or gone).
 */
export async function requestEmailConfirmation(
	db: Db,
	userId: string,
	settings: { limits: ConfirmationSettings; email: EmailSettings }
): Promise<string | null> {
	const [user] = await db
		.select({ email: users.email, name: users.displayName, confirmedAt: users.emailConfirmedAt })
		.from(users)
		.where(eq(users.id, userId));
	if (!user || user.confirmedAt) return null;
	const address = user.email.trim().toLowerCase();

	const cooldown = settings.limits.confirmationCooldownSeconds;
	const [tooSoon] = exceeded(
		await hitLimits(db, [
			{ key: `email-confirmation:cooldown:${address}`, max: 1, windowSeconds: cooldown }
		])
	);
	if (tooSoon) {
		throw new RateLimitedError(
			`We sent an email to this address a moment ago. You can ask for another ${waitText(tooSoon.retryAfterSeconds)}.`,
			tooSoon.retryAfterSeconds,
			tooSoon.key
		);
	}
	const [tooMany] = exceeded(
		await hitLimits(db, [
			{
				key: `email-confirmation:day:${address}`,
				max: settings.limits.confirmationEmailsPerDay,
				windowSeconds: DAY_SECONDS
			}
		])
	);
	if (tooMany) {
		throw new RateLimitedError(
			`We have sent ${settings.limits.confirmationEmailsPerDay} emails to this address today, the most a day allows. You can ask again ${waitText(tooMany.retryAfterSeconds)}.`,
			tooMany.retryAfterSeconds,
			tooMany.key
		);
	}

	return db.transaction(async (tx) => {
		const [owner] = await tx
			.select({ id: users.id, email: users.email })
			.from(users)
			.where(
				and(
					eq(sql`lower(${users.email})`, address),
					isNotNull(users.emailConfirmedAt),
					ne(users.id, userId)
				)
			);
		if (owner) {
			return enqueueEmail(tx, {
				type: 'account_exists',
				recipientId: owner.id,
				to: owner.email,
				...accountExistsEmail({ loginUrl: `${settings.email.publicOrigin}/login` }),
				headers: { 'Auto-Submitted': 'auto-generated' },
				idempotencyKey: `account-exists/${randomUUID()}`
			});
		}
		// Only the newest link works: an earlier one, forwarded or lying in an old inbox, is void.
		await tx
			.delete(emailConfirmations)
			.where(and(eq(emailConfirmations.userId, userId), isNull(emailConfirmations.usedAt)));
		const token = encodeBase32LowerCaseNoPadding(crypto.getRandomValues(new Uint8Array(20)));
		const [row] = await tx
			.insert(emailConfirmations)
			.values({
				userId,
				email: user.email,
				tokenHash: tokenHash(token),
				expiresAt: new Date(Date.now() + CONFIRMATION_LIFETIME_MS)
			})
			.returning({ id: emailConfirmations.id });
		return enqueueEmail(tx, {
			type: 'email_confirmation',
			recipientId: userId,
			to: user.email,
			...confirmEmailEmail({
				recipientName: user.name,
				confirmUrl: `${settings.email.publicOrigin}/confirm-email/${token}`
			}),
			headers: { 'Auto-Submitted': 'auto-generated' },
			idempotencyKey: `email-confirmation/${row!.id}`
		});
	});
}

/** What a link would confirm, for the page that asks first; null if it does not work (any reason). */
export async function findEmailConfirmation(
	db: Db,
	token: string
): Promise<{ email: string; displayName: string } | null> {
	if (!CONFIRMATION_TOKEN_PATTERN.test(token)) return null;
	const [row] = await db
		.select({ email: emailConfirmations.email, displayName: users.displayName })
		.from(emailConfirmations)
		.innerJoin(users, eq(users.id, emailConfirmations.userId))
		.where(
			and(
				eq(emailConfirmations.tokenHash, tokenHash(token)),
				isNull(emailConfirmations.usedAt),
				gt(emailConfirmations.expiresAt, sql`now()`),
				eq(sql`lower(${users.email})`, sql`lower(${emailConfirmations.email})`)
			)
		);
	return row ?? null;
}

export type ConfirmResult =
	| { status: 'confirmed'; userId: string; suspended: boolean }
	/** Unknown, used, expired, or for an address the account no longer has: alike. */
	| { status: 'invalid' }
	/** Another account confirmed the same address first. */
	| { status: 'taken' };

/** Uses a link: the account's address counts as confirmed from now on. */
export async function confirmEmail(db: Db, token: string): Promise<ConfirmResult> {
	if (!CONFIRMATION_TOKEN_PATTERN.test(token)) return { status: 'invalid' };
	try {
		return await db.transaction(async (tx): Promise<ConfirmResult> => {
			// Single use: the UPDATE takes the row, so two clicks racing cannot both pass.
			const [link] = await tx
				.update(emailConfirmations)
				.set({ usedAt: new Date() })
				.where(
					and(
						eq(emailConfirmations.tokenHash, tokenHash(token)),
						isNull(emailConfirmations.usedAt),
						gt(emailConfirmations.expiresAt, sql`now()`)
					)
				)
				.returning({ userId: emailConfirmations.userId, email: emailConfirmations.email });
			if (!link) return { status: 'invalid' };
			const [taken] = await tx
				.select({ id: users.id })
				.from(users)
				.where(
					and(
						eq(sql`lower(${users.email})`, link.email.trim().toLowerCase()),
						isNotNull(users.emailConfirmedAt),
						ne(users.id, link.userId)
					)
				);
			if (taken) return { status: 'taken' };
			const [user] = await tx
				.update(users)
				.set({ emailConfirmedAt: sql`coalesce(${users.emailConfirmedAt}, now())` })
				.where(
					and(
						eq(users.id, link.userId),
						eq(sql`lower(${users.email})`, link.email.trim().toLowerCase())
					)
				)
				.returning({ id: users.id, suspendedAt: users.suspendedAt });
			if (!user) return { status: 'invalid' };
			return { status: 'confirmed', userId: user.id, suspended: user.suspendedAt !== null };
		});
	} catch (err) {
		// Two accounts with one address confirming at the same instant: the unique index decides.
		const e = err as { code?: string; cause?: { code?: string } };
		if ((e.code ?? e.cause?.code) === '23505') {
			return { status: 'taken' };
		}
		throw err;
	}
}
