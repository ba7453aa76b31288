import { and, eq, isNotNull, sql } from 'drizzle-orm';
import { Resend } from 'resend';
import { rowsOf, type Db } from '../db';
import { emailQueue, users, type EmailQueueRow } from '../db/schema';

/**
 * The only emails that may go to an address nobody has confirmed: the confirmation link itself,
 * and "you already have an account" (to a confirmed owner). Everything else (digests, notices to
 * providers, "your reply was not posted") is withheld at send time unless its recipient has
 * confirmed the very address it is going to, whatever queued it.
 */
export const ACCOUNT_EMAIL_TYPES: ReadonlySet<string> = new Set([
	'email_confirmation',
	'account_exists'
]);

export const MAX_ATTEMPTS = 8;
/** Longer than one send may take, so a lease only lapses when its run has died. */
const LEASE_SECONDS = 120;
const DEFAULT_SEND_TIMEOUT_MS = 20_000;

export interface OutgoingEmail {
	type: string;
	recipientId: string | null;
	to: string;
	subject: string;
	html: string;
	text: string;
	headers: Record<string, string>;
	idempotencyKey: string;
}

/** Adds an email to the outbox; the same idempotency key twice is one email. */
export async function enqueueEmail(tx: Db, email: OutgoingEmail): Promise<string> {
	const [row] = await tx
		.insert(emailQueue)
		.values({
			type: email.type,
			recipientId: email.recipientId,
			toAddress: email.to,
			subject: email.subject,
			html: email.html,
			text: email.text,
			headers: email.headers,
			idempotencyKey: email.idempotencyKey
		})
		.onConflictDoUpdate({
			target: emailQueue.idempotencyKey,
			set: { idempotencyKey: sql`excluded.idempotency_key` }
		})
		.returning({ id: emailQueue.id });
	return row!.id;
}

export type SendResult =
	| { ok: true; providerId: string | null }
	| { ok: false; retryable: boolean; error: string; retryAfterSeconds?: number };

/** How email leaves: through Resend, or (without an API key) nowhere, recorded as `logged`. */
export interface EmailTransport {
	kind: 'resend' | 'log';
	send(email: EmailQueueRow, from: string): Promise<SendResult>;
}

export function resendTransport(
	apiKey: string,
	baseUrl?: string | null,
	timeoutMs = DEFAULT_SEND_TIMEOUT_MS
): EmailTransport {
	const resend = new Resend(apiKey, baseUrl ? { baseUrl } : undefined);
	return {
		kind: 'resend',
		async send(email, from) {
			const { data, error, headers } = await resend.emails.send(
				{
					from,
					to: email.toAddress,
					subject: email.subject,
					html: email.html,
					text: email.text,
					headers: email.headers
				},
				{ idempotencyKey: email.idempotencyKey, signal: AbortSignal.timeout(timeoutMs) }
			);
			if (!error) return { ok: true, providerId: data?.id ?? null };
			const status = (error as { statusCode?: number | null }).statusCode ?? null;
			const retryAfter = Number(headers?.['retry-after']);
			// 429, 5xx and no answer at all are worth another try; 409 "concurrent idempotent
			// request" means the first try is still in flight, so the same key must be retried.
			const concurrent = status === 409 && error.name === 'concurrent_idempotent_requests';
			const retryable = status === null || status === 429 || status >= 500 || concurrent;
			return {
				ok: false,
				retryable,
				error: `${status ?? 'network'} ${error.name}: ${error.message}`.slice(0, 500),
				retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined
			};
		}
	};
}

export const logTransport: EmailTransport = {
	kind: 'log',
	async send() {
		return { ok: true, providerId: null };
	}
};

/** 1, 2, 4, 8 ... minutes after the attempt that failed, or later if the provider asked. */
export function backoffSeconds(attempts: number, retryAfterSeconds?: number): number {
	const exponential = 60 * 2 ** Math.max(0, attempts - 1);
	return Math.max(exponential, retryAfterSeconds ?? 0);
}

/**
 * Claims one due email (or the one with `id`) under a lease; SKIP LOCKED lets any number of runs
 * claim side by side.
 */
async function claimEmail(db: Db, id?: string): Promise<EmailQueueRow | null> {
	const which = id ? sql`and id = ${id}::uuid` : sql``;
	const rows = rowsOf<Record<string, unknown>>(
		await db.execute(sql`
			update email_queue set
				locked_until = now() + make_interval(secs => ${LEASE_SECONDS}),
				attempts = attempts + 1
			where id = (
				select id from email_queue
				where status = 'pending' and next_attempt_at <= now()
					and (locked_until is null or locked_until < now()) ${which}
				order by next_attempt_at
				limit 1
				for update skip locked
			)
			returning id`)
	);
	const claimed = rows[0]?.id as string | undefined;
	if (!claimed) return null;
	const [row] = await db.select().from(emailQueue).where(eq(emailQueue.id, claimed));
	return row ?? null;
}

/** Whether the email may leave: its recipient confirmed the address it is going to. */
async function mayBeSent(db: Db, email: EmailQueueRow): Promise<boolean> {
	if (ACCOUNT_EMAIL_TYPES.has(email.type)) return true;
	if (!email.recipientId) return false;
	const [owner] = await db
		.select({ id: users.id })
		.from(users)
		.where(
			and(
				eq(users.id, email.recipientId),
				isNotNull(users.emailConfirmedAt),
				eq(sql`lower(${users.email})`, email.toAddress.trim().toLowerCase())
			)
		);
	return Boolean(owner);
}

export interface DrainCounts {
	sent: number;
	failed: number;
	retried: number;
	/** Not sent: the recipient has not confirmed the address (status `withheld`). */
	withheld: number;
}

/** Sends what is due until the queue is empty or the deadline nears. */
export async function drainEmailQueue(
	db: Db,
	transport: EmailTransport,
	options: { from: string; deadline: number }
): Promise<DrainCounts> {
	const counts: DrainCounts = { sent: 0, failed: 0, retried: 0, withheld: 0 };
	while (Date.now() < options.deadline) {
		const email = await claimEmail(db);
		if (!email) break;
		await deliver(db, transport, email, options.from, counts);
	}
	return counts;
}

/**
 * Sends one queued email now if it is due and nobody else holds it (sign-up's confirmation link
 * should not wait for the next cron run). On failure it stays queued, and the cron retries it.
 */
export async function sendQueuedEmail(
	db: Db,
	id: string,
	transport: EmailTransport,
	from: string
): Promise<DrainCounts> {
	const counts: DrainCounts = { sent: 0, failed: 0, retried: 0, withheld: 0 };
	const email = await claimEmail(db, id);
	if (email) await deliver(db, transport, email, from, counts);
	return counts;
}

async function deliver(
	db: Db,
	transport: EmailTransport,
	email: EmailQueueRow,
	from: string,
	counts: DrainCounts
): Promise<void> {
	if (!(await mayBeSent(db, email))) {
		await db
			.update(emailQueue)
			.set({
				status: 'withheld',
				lockedUntil: null,
				lastError: 'The recipient has not confirmed this address.'
			})
			.where(eq(emailQueue.id, email.id));
		counts.withheld++;
		return;
	}
	let result: SendResult;
	try {
		result = await transport.send(email, from);
	} catch (err) {
		result = { ok: false, retryable: true, error: String(err).slice(0, 500) };
	}
	if (result.ok) {
		await db
			.update(emailQueue)
			.set({
				status: transport.kind === 'log' ? 'logged' : 'sent',
				sentAt: new Date(),
				providerMessageId: result.providerId,
				lockedUntil: null,
				lastError: null
			})
			.where(eq(emailQueue.id, email.id));
		counts.sent++;
	} else if (result.retryable && email.attempts < MAX_ATTEMPTS) {
		const wait = backoffSeconds(email.attempts, result.retryAfterSeconds);
		await db
			.update(emailQueue)
			.set({
				nextAttemptAt: new Date(Date.now() + wait * 1000),
				lockedUntil: null,
				lastError: result.error
			})
			.where(eq(emailQueue.id, email.id));
		counts.retried++;
	} else {
		await db
			.update(emailQueue)
			.set({ status: 'failed', lockedUntil: null, lastError: result.error })
			.where(eq(emailQueue.id, email.id));
		console.error(
			`Email ${email.id} (${email.type}) failed after ${email.attempts} attempt(s): ${result.error}`
		);
		counts.failed++;
	}
}
