import { createSession, createUser, generateSessionToken, type Session } from './auth';
import { getConfig, type Config } from './config';
import type { Db } from './db';
import { requestEmailConfirmation } from './email-confirmation';
import { enforceSignupLimit } from './limits';
import { RateLimitedError } from './rate-limit';

export interface SignUpResult {
	sessionToken: string;
	session: Session;
	/** The email that answers the sign-up, to send at once; null when the cooldown held it back. */
	emailId: string | null;
}

/**
 * Sign-up that does not reveal whether an address is taken (issue #13, finding 4). Every sign-up
 * creates a new account and signs it in, so a registered and a new address get the same answer;
 * the account is unconfirmed, gets no email until its owner clicks the link, cannot log in with
 * its password until then, and cannot claim an address another account has confirmed. The email
 * tells the difference, and only the address's owner reads it: a new address gets the link, a
 * registered one "you already have an account". Only the per-IP limit can refuse a sign-up; past
 * the per-address cooldown the account is still created, just without another email.
 */
export async function signUp(
	db: Db,
	input: { email: string; displayName: string; password: string },
	context: { ip: string; userAgent?: string | null },
	config: Pick<Config, 'limits' | 'email'> = getConfig()
): Promise<SignUpResult> {
	await enforceSignupLimit(db, context.ip, config.limits);
	const user = await createUser(db, input);
	const sessionToken = generateSessionToken();
	const session = await createSession(db, sessionToken, user.id, { userAgent: context.userAgent });
	let emailId: string | null = null;
	try {
		emailId = await requestEmailConfirmation(db, user.id, config);
	} catch (err) {
		if (!(err instanceof RateLimitedError)) throw err;
	}
	return { sessionToken, session, emailId };
}
