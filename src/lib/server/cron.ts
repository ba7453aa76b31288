import { timingSafeEqual, createHash } from 'node:crypto';
import { getConfig, loadConfig, type Config, type EmailSettings, type Env } from './config';
import type { Db } from './db';
import { drainEmailQueue, logTransport, resendTransport, type EmailTransport } from './email/queue';
import { processDueNotifications } from './messaging/notifications';
import { deleteClosedWindows } from './rate-limit';
import { runAssistantStep, type AssistantRunCounts } from './assistant/auto';
import { aiFromSettings, appAi, type Ai } from './assistant/model';
import { deleteUnattachedUploads } from './attachments';
import { deleteOldInboundReceipts } from './email/inbound';

export interface CronResult {
	claimed: number;
	sent: number;
	skipped: number;
	failed: number;
	retried: number;
	/** The assistant step, when a model is configured. */
	assistant?: AssistantRunCounts;
	/** Uploads that no message took within a day, deleted with their stored files. */
	uploadsDeleted: number;
}

/** The transport the settings ask for: Resend with RESEND_API_KEY, otherwise nothing leaves. */
export function emailTransport(settings: EmailSettings = getConfig().email): EmailTransport {
	return settings.resendApiKey
		? resendTransport(settings.resendApiKey, settings.resendBaseUrl, settings.sendTimeoutMs)
		: logTransport;
}

// Stop claiming this long before the budget ends, so the last send can finish inside it.
const SAFETY_MARGIN_MS = 5_000;

/**
 * One cron run: the providers' assistants answer what is due (when a model is configured), due
 * notifications become digests in the outbox, then the outbox is drained (so a hand-off email
 * leaves in the same run), then uploads left unattached for a day are deleted, and received
 * emails' Message-IDs older than INBOUND_DEDUPE_DAYS forgotten. Settings come from
 * the process's configuration, or from `env` when one is given (tests); `ai` replaces the
 * configured model (tests).
 */
export async function runMessageNotificationsCron(
	db: Db,
	env?: Env,
	transport?: EmailTransport,
	ai?: Ai | null
): Promise<CronResult> {
	const config: Config = env ? loadConfig(env) : getConfig();
	const deadline =
		Date.now() + Math.max(1_000, config.cron.maxRunSeconds * 1000 - SAFETY_MARGIN_MS);
	const model = ai !== undefined ? ai : env ? aiFromSettings(config.ai) : appAi();
	const assistant = model
		? await runAssistantStep(db, model, { email: config.email, deadline })
		: undefined;
	const notified = await processDueNotifications(db, config.notifications, config.email, deadline);
	const drained = await drainEmailQueue(db, transport ?? emailTransport(config.email), {
		from: config.email.from,
		deadline
	});
	// Housekeeping: rate-limit windows that have closed count nothing any more.
	await deleteClosedWindows(db);
	const uploadsDeleted = await deleteUnattachedUploads(db);
	await deleteOldInboundReceipts(db, config.inbound.dedupeDays);
	return {
		uploadsDeleted,
		claimed: notified.claimed,
		sent: drained.sent,
		skipped: notified.skipped,
		failed: drained.failed,
		retried: drained.retried,
		...(assistant ? { assistant } : {})
	};
}

/** Constant-time check of `Authorization: Bearer <secret>`; hashing first evens out lengths. */
export function isAuthorizedCronCall(header: string | null, secret: string): boolean {
	const given = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
	const a = createHash('sha256').update(given).digest();
	const b = createHash('sha256').update(secret).digest();
	return timingSafeEqual(a, b) && given.length > 0;
}
