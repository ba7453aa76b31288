import { emailTransport } from '../cron';
import { getConfig } from '../config';
import type { Db } from '../db';
import { sendQueuedEmail } from './queue';

/**
 * Sends an account email right after the request that queued it, without keeping the answer
 * waiting. If this instance dies or the provider fails, the email is still in the outbox and the
 * next cron run sends it (a claim is a lease), so nothing is lost and nothing lives only here.
 */
export function sendSoon(db: Db, emailId: string | null): void {
	if (!emailId) return;
	const config = getConfig();
	sendQueuedEmail(db, emailId, emailTransport(config.email), config.email.from).catch(
		(err: unknown) => console.error(`Email ${emailId} was left to the cron run:`, err)
	);
}
