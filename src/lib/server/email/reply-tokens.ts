import { createHash, createHmac, randomBytes } from 'node:crypto';
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { getConfig } from '../config';
import { rowsOf, type Db } from '../db';
import { emailReplyTokens } from '../db/schema';

// One reply address per (recipient, contract): reply+TOKEN@INBOUND_EMAIL_DOMAIN. The table keeps
// sha256(token); the token is HMAC(APP_SECRET, nonce), so each new email can name the same address
// again while a copy of the table alone cannot post anything.

/** 17 bytes of the HMAC: 136 bits, 28 lower-case base32 letters (mail servers may fold case). */
const TOKEN_BYTES = 17;
/** A contract that ended (completed, cancelled, rejected) takes replies this long after. */
export const REPLY_DAYS_AFTER_END = 30;
const ENDED = ['completed', 'cancelled', 'rejected'];

function tokenFor(nonce: string, secret: string): string {
	const mac = createHmac('sha256', secret).update(`reply:${nonce}`).digest();
	return encodeBase32LowerCaseNoPadding(mac.subarray(0, TOKEN_BYTES));
}

export function hashReplyToken(token: string): string {
	return createHash('sha256').update(token).digest('hex');
}

/**
 * The token of the user's reply address for the contract, issued on first use. A revoked one (emails
 * turned off) or one the current APP_SECRET no longer rebuilds is replaced by a new one.
 *
 * Digests for the same recipient and contract may be built at the same moment (two cron runs, two
 * instances): whoever writes first wins and the others take the winner's token, so an address
 * already put in an email is never replaced by a concurrent one. The insert does nothing on a
 * conflict and the replacement is a compare-and-swap on the old nonce; a loser reads again.
 */
export async function replyTokenFor(
	tx: Db,
	userId: string,
	contractId: string,
	secret = getConfig().secrets.appSecret
): Promise<string> {
	const where = and(
		eq(emailReplyTokens.userId, userId),
		eq(emailReplyTokens.contractId, contractId)
	);
	for (let attempt = 0; attempt < 5; attempt++) {
		const [existing] = await tx.select().from(emailReplyTokens).where(where);
		if (existing && !existing.revokedAt) {
			const token = tokenFor(existing.nonce, secret);
			if (hashReplyToken(token) === existing.tokenHash) return token;
		}
		const nonce = randomBytes(16).toString('base64url');
		const token = tokenFor(nonce, secret);
		const tokenHash = hashReplyToken(token);
		const written = existing
			? await tx
					.update(emailReplyTokens)
					.set({ nonce, tokenHash, revokedAt: null, createdAt: new Date() })
					.where(
						and(eq(emailReplyTokens.id, existing.id), eq(emailReplyTokens.nonce, existing.nonce))
					)
					.returning({ id: emailReplyTokens.id })
			: await tx
					.insert(emailReplyTokens)
					.values({ userId, contractId, nonce, tokenHash })
					.onConflictDoNothing({ target: [emailReplyTokens.userId, emailReplyTokens.contractId] })
					.returning({ id: emailReplyTokens.id });
		if (written.length > 0) return token;
		// Someone else issued or replaced it meanwhile: take theirs.
	}
	throw new Error(`replyTokenFor: the reply address of ${userId} for ${contractId} kept changing`);
}

export function replyAddress(token: string, domain: string): string {
	return `reply+${token}@${domain}`;
}

/** The token in a reply address (`reply+TOKEN@domain`, any letter case), or null. */
export function tokenFromAddress(address: string, domain: string): string | null {
	const match = /^reply\+([a-z2-7]{20,64})@(.+)$/i.exec(address.trim());
	if (!match || match[2]!.toLowerCase() !== domain.toLowerCase()) return null;
	return match[1]!.toLowerCase();
}

export interface ReplyTarget {
	userId: string;
	contractId: string;
	email: string;
	displayName: string;
}

/**
 * Whom a token lets post where, or null when it is unknown or no longer valid: revoked, the user's
 * emails are off, the account is suspended, or the contract ended more than REPLY_DAYS_AFTER_END days ago.
 */
export async function findReplyTarget(db: Db, token: string): Promise<ReplyTarget | null> {
	const [row] = rowsOf<{
		user_id: string;
		contract_id: string;
		email: string;
		display_name: string;
	}>(
		await db.execute(sql`
			select t.user_id, t.contract_id, u.email, u.display_name
			from email_reply_tokens t
			join users u on u.id = t.user_id
			join contracts c on c.id = t.contract_id
			where t.token_hash = ${hashReplyToken(token)}
				and t.revoked_at is null
				and u.email_notifications
				and u.suspended_at is null
				and (c.requester_id = t.user_id or c.provider_id = t.user_id)
				and (c.status not in (${sql.join(
					ENDED.map((s) => sql`${s}`),
					sql`, `
				)})
					or c.updated_at > now() - make_interval(days => ${REPLY_DAYS_AFTER_END}))`)
	);
	return row
		? {
				userId: row.user_id,
				contractId: row.contract_id,
				email: row.email,
				displayName: row.display_name
			}
		: null;
}

/** Turning emails off revokes every reply address of the user. */
export async function revokeReplyTokens(db: Db, userId: string): Promise<void> {
	await db
		.update(emailReplyTokens)
		.set({ revokedAt: new Date() })
		.where(and(eq(emailReplyTokens.userId, userId), isNull(emailReplyTokens.revokedAt)));
}
