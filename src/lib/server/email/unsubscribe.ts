import { createHmac, timingSafeEqual } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { getConfig } from '../config';
import type { Db } from '../db';
import { users } from '../db/schema';
import { revokeReplyTokens } from './reply-tokens';

// A per-user token signed with APP_SECRET: unguessable, needs no table, and still works after
// the user changes anything but the secret.
function signature(userId: string): string {
	return createHmac('sha256', getConfig().secrets.appSecret)
		.update(`unsubscribe:${userId}`)
		.digest('base64url');
}

export function unsubscribeToken(userId: string): string {
	return `${Buffer.from(userId).toString('base64url')}.${signature(userId)}`;
}

export function verifyUnsubscribeToken(token: string): string | null {
	const [encodedId, sig] = token.split('.');
	if (!encodedId || !sig) return null;
	const userId = Buffer.from(encodedId, 'base64url').toString('utf8');
	if (!/^[0-9a-f-]{36}$/.test(userId)) return null;
	const expected = Buffer.from(signature(userId));
	const given = Buffer.from(sig);
	return expected.length === given.length && timingSafeEqual(expected, given) ? userId : null;
}

/** Turning emails off also revokes the user's reply addresses: replies to old emails are dropped. */
export async function setEmailNotifications(db: Db, userId: string, enabled: boolean) {
	return db.transaction(async (tx) => {
		const [row] = await tx
			.update(users)
			.set({ emailNotifications: enabled })
			.where(eq(users.id, userId))
			.returning({ id: users.id, email: users.email });
		if (row && !enabled) await revokeReplyTokens(tx, userId);
		return row ?? null;
	});
}
