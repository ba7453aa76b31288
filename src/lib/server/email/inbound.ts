import { createHash } from 'node:crypto';
import { and, eq, lt, sql } from 'drizzle-orm';
import PostalMime, { addressParser } from 'postal-mime';
import { characterCount, MESSAGE_MAX_LENGTH, normalizeMessageBody } from '$lib/message-rules';
import {
	attachmentStorage,
	createAttachmentFromBytes,
	deleteUnsentUploads,
	describeBytes,
	sanitizeFilename,
	type AttachmentStorage,
	type ClamavSettings
} from '../attachments';
import type { UploadLimits } from '../attachments/upload';
import type { Db } from '../db';
import { inboundEmailReceipts } from '../db/schema';
import { appendMessage } from '../messaging/append';
import {
	AttachmentRefusedError,
	IdempotencyKeyReusedError,
	ThreadClosedError
} from '../messaging/errors';
import { authenticationFailure, type InboundAuthSettings } from './auth-results';
import { enqueueEmail } from './queue';
import { extractReply } from './reply-text';
import { findReplyTarget, tokenFromAddress, type ReplyTarget } from './reply-tokens';

// Replies to notification emails, whichever door they came in by (Resend's webhook or a raw MIME
// POST from any mail server), are handled here: one place decides what is posted and what is not.

export interface InboundAttachment {
	filename: string | null;
	/**
	 * Shown by the HTML rather than attached: referenced by its Content-ID, or Content-Disposition
	 * inline. A small one is a signature's logo and is left out without a word.
	 */
	inline: boolean;
	/** The size in bytes when the door knows it before fetching the content. */
	size: number | null;
	/**
	 * The content, fetched only for a verified sender. Resolves null when it is larger than
	 * `maxBytes` (nothing past that is read); throws when it cannot be fetched (retry later).
	 */
	load(maxBytes: number): Promise<Uint8Array | null>;
}

/** An incoming email as both doors hand it over. */
export interface InboundEmail {
	messageId: string | null;
	/** The From header's address. */
	from: string | null;
	/** The envelope sender (MAIL FROM / Return-Path) when the door knows it; '' for the null sender. */
	envelopeFrom?: string | null;
	/** To, Cc, Delivered-To and the envelope recipients. */
	recipients: string[];
	subject: string;
	/** Header names in lower case; the first of each name. */
	headers: Record<string, string>;
	/** Every Authentication-Results header, top to bottom. */
	authenticationResults?: string[];
	text: string | null;
	html: string | null;
	attachments: InboundAttachment[];
}

export type DropReason =
	| 'no_token'
	| 'unknown_token'
	| 'sender_mismatch'
	| 'auth_failed'
	| 'auto_reply'
	| 'bounce'
	| 'too_large'
	| 'unparseable';

export type InboundResult =
	| { outcome: 'posted'; messageId: string; contractId: string }
	| { outcome: 'duplicate'; messageId: string | null }
	| { outcome: 'dropped'; reason: DropReason }
	| { outcome: 'not_posted'; reason: 'empty' | 'too_long' | 'closed' };

export interface InboundContext {
	/** INBOUND_EMAIL_DOMAIN: only reply+TOKEN@ this domain counts. */
	domain: string;
	/** ATTACHMENT_MAX_BYTES and the other upload rules, which an email's files follow too. */
	attachments: UploadLimits & { clamav?: ClamavSettings | null };
	/** The process's storage unless given (tests). */
	storage?: AttachmentStorage;
	/** INBOUND_REQUIRE_AUTH and INBOUND_AUTHSERV_ID; without it nothing is checked. */
	auth?: InboundAuthSettings;
}

/** Inline images up to this size are a signature's logo or icons: left out, not named. */
export const SIGNATURE_IMAGE_MAX_BYTES = 32 * 1024;
/** A message takes at most this many files (parley_post_message refuses more). */
const MAX_FILES = 10;

// Control characters other than newline and tab, which messages may not hold (messageBodySchema).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/gu;

const OUT_OF_OFFICE =
	/^(?:re:\s*|aw:\s*|r[ée]f?:\s*)*(?:auto(?:matic)?[\s-]*reply|autoreply|out of (?:the )?office|away from (?:the )?office|abwesenheit|automatische antwort|r[ée]ponse automatique|absence|respuesta autom[áa]tica|fuera de la oficina)\b/i;

/**
 * Decides what to do with one incoming email and does it. Everything it handles answers a result
 * (dropped ones included, logged without their content); it throws only when it could not decide
 * (the database, the malware scanner or Resend's attachment download failed), so the door answers
 * 5xx and the sender's side retries.
 */
export async function receiveReply(
	db: Db,
	email: InboundEmail,
	context: InboundContext
): Promise<InboundResult> {
	const drop = (reason: DropReason, detail = ''): InboundResult => {
		console.warn(
			`Inbound email ${email.messageId ?? '(no Message-ID)'} dropped: ${reason}${detail} (from ${email.from ?? 'nobody'})`
		);
		return { outcome: 'dropped', reason };
	};

	if (isBounce(email)) return drop('bounce');
	if (isAutomatic(email)) return drop('auto_reply');

	const token = email.recipients
		.map((r) => tokenFromAddress(r, context.domain))
		.find((t): t is string => t !== null);
	if (!token) return drop('no_token');
	const target = await findReplyTarget(db, token);
	if (!target) return drop('unknown_token');
	const owner = target.email.toLowerCase();
	if (email.from?.toLowerCase() !== owner) return drop('sender_mismatch');
	if (email.envelopeFrom && email.envelopeFrom.toLowerCase() !== owner) {
		return drop('sender_mismatch');
	}
	if (context.auth) {
		const failure = authenticationFailure(
			email.authenticationResults ?? [],
			email.from,
			context.auth
		);
		if (failure) return drop('auth_failed', ` (${failure})`);
	}

	// Remembered for INBOUND_DEDUPE_DAYS, not only the write path's 24 hours.
	const key = dedupeKey(email);
	const known = await findReceipt(db, target.userId, key);
	if (known) return { outcome: 'duplicate', messageId: known.messageId };

	let body = normalizeMessageBody(
		extractReply({ text: email.text, html: email.html, senderName: target.displayName }).replace(
			CONTROL,
			''
		)
	);
	const storage = context.storage ?? attachmentStorage();
	const files = await carryAttachments(db, target, email.attachments, context.attachments, storage);
	const note = refusedNote(files.refused);
	if (body && note) body = `${body}\n\n${note}`;
	else if (!body && files.ids.length > 0) body = note ?? '';

	const discard = () => deleteUnsentUploads(db, target.userId, files.ids, storage);
	let result: InboundResult;
	try {
		result = await db.transaction(async (tx) => {
			// A concurrent copy of the same email (the other door) waits here, then finds the row.
			const claimed = await tx
				.insert(inboundEmailReceipts)
				.values({ userId: target.userId, dedupeKey: key })
				.onConflictDoNothing()
				.returning({ key: inboundEmailReceipts.dedupeKey });
			if (claimed.length === 0) {
				const row = await findReceipt(tx, target.userId, key);
				return { outcome: 'duplicate', messageId: row?.messageId ?? null } as const;
			}
			if (!body && files.ids.length === 0) {
				return notPosted(tx, target, email, key, 'empty', note);
			}
			if (characterCount(body) > MESSAGE_MAX_LENGTH) {
				return notPosted(tx, target, email, key, 'too_long', note);
			}
			let posted: Awaited<ReturnType<typeof appendMessage>>;
			try {
				// A savepoint: a refusal of the post leaves the receipt's insert usable.
				posted = await tx.transaction((post) =>
					appendMessage(post, { kind: 'email', userId: target.userId }, target.contractId, {
						body,
						idempotencyKey: key,
						attachmentIds: files.ids
					})
				);
			} catch (err) {
				if (err instanceof ThreadClosedError) {
					return notPosted(tx, target, email, key, 'closed', note);
				}
				// The same Message-ID read a little differently by the other door within 24 hours.
				if (err instanceof IdempotencyKeyReusedError) {
					return { outcome: 'duplicate', messageId: null } as const;
				}
				throw err;
			}
			if (!posted) {
				// No longer a party: nothing to remember.
				await tx
					.delete(inboundEmailReceipts)
					.where(
						and(
							eq(inboundEmailReceipts.userId, target.userId),
							eq(inboundEmailReceipts.dedupeKey, key)
						)
					);
				return drop('unknown_token');
			}
			if (posted.replayed) return { outcome: 'duplicate', messageId: posted.message.id } as const;
			await tx
				.update(inboundEmailReceipts)
				.set({ messageId: posted.message.id })
				.where(
					and(
						eq(inboundEmailReceipts.userId, target.userId),
						eq(inboundEmailReceipts.dedupeKey, key)
					)
				);
			return {
				outcome: 'posted',
				messageId: posted.message.id,
				contractId: target.contractId
			} as const;
		});
	} catch (err) {
		await discard().catch(() => {});
		throw err;
	}
	if (result.outcome !== 'posted') await discard();
	return result;
}

async function findReceipt(db: Db, userId: string, key: string) {
	const [row] = await db
		.select({ messageId: inboundEmailReceipts.messageId })
		.from(inboundEmailReceipts)
		.where(and(eq(inboundEmailReceipts.userId, userId), eq(inboundEmailReceipts.dedupeKey, key)));
	return row ?? null;
}

/** The cron run's sweep: received Message-IDs older than INBOUND_DEDUPE_DAYS are forgotten. */
export async function deleteOldInboundReceipts(db: Db, days: number): Promise<number> {
	const removed = await db
		.delete(inboundEmailReceipts)
		.where(lt(inboundEmailReceipts.receivedAt, sql`now() - make_interval(days => ${days})`))
		.returning({ key: inboundEmailReceipts.dedupeKey });
	return removed.length;
}

/** The write path's idempotency key: the Message-ID, or without one the email's content. */
export function dedupeKey(email: InboundEmail): string {
	const basis = email.messageId
		? `id:${email.messageId.trim().replace(/^<|>$/g, '').toLowerCase()}`
		: `content:${email.from}\n${email.subject}\n${email.text ?? ''}\n${email.html ?? ''}`;
	return `email:${createHash('sha256').update(basis).digest('hex').slice(0, 48)}`;
}

function header(email: InboundEmail, name: string): string {
	return (email.headers[name] ?? '').trim();
}

function isBounce(email: InboundEmail): boolean {
	const from = (email.from ?? '').toLowerCase();
	return (
		email.envelopeFrom === '' ||
		/^(mailer-daemon|postmaster)@/.test(from) ||
		/^multipart\/report\b/i.test(header(email, 'content-type')) ||
		/^\s*<>\s*$/.test(header(email, 'return-path'))
	);
}

function isAutomatic(email: InboundEmail): boolean {
	const autoSubmitted = header(email, 'auto-submitted').toLowerCase();
	if (autoSubmitted && autoSubmitted !== 'no') return true;
	if ('x-autoreply' in email.headers || 'x-autorespond' in email.headers) return true;
	if (/^(bulk|junk|list|auto_reply)$/i.test(header(email, 'precedence'))) return true;
	if (header(email, 'x-auto-response-suppress') && OUT_OF_OFFICE.test(email.subject)) return true;
	return OUT_OF_OFFICE.test(email.subject.trim());
}

export interface RefusedFile {
	filename: string;
	/** Completes "FILENAME …": "is over 25 MB", "is not an allowed type". */
	why: string;
}

/**
 * The email's files as uploads of the sender to the contract, through the attachment pipeline
 * (type from the content, size and pixel limits, EXIF removed, ClamAV, storage). What it refuses
 * is named; a small inline image (a signature's logo) is left out without a word. A scanner that
 * cannot be reached throws (after removing what was stored), so the email is tried again later.
 */
async function carryAttachments(
	db: Db,
	target: ReplyTarget,
	attachments: InboundAttachment[],
	limits: InboundContext['attachments'],
	storage: AttachmentStorage
): Promise<{ ids: string[]; refused: RefusedFile[] }> {
	const ids: string[] = [];
	const refused: RefusedFile[] = [];
	try {
		for (const attachment of attachments) {
			const filename = sanitizeFilename(attachment.filename?.replace(/[\r\n]+/g, ' ') || 'unnamed');
			const small = attachment.size !== null && attachment.size <= SIGNATURE_IMAGE_MAX_BYTES;
			if (attachment.inline && small) continue;
			const tooBig = `is over ${describeBytes(limits.maxBytes)}`;
			if (attachment.size !== null && attachment.size > limits.maxBytes) {
				refused.push({ filename, why: tooBig });
				continue;
			}
			const bytes = await attachment.load(limits.maxBytes);
			if (bytes === null) {
				refused.push({ filename, why: tooBig });
				continue;
			}
			if (attachment.inline && bytes.byteLength <= SIGNATURE_IMAGE_MAX_BYTES) continue;
			if (ids.length >= MAX_FILES) {
				refused.push({ filename, why: `is past the ${MAX_FILES} files a message takes` });
				continue;
			}
			try {
				const stored = await createAttachmentFromBytes(
					db,
					target.userId,
					target.contractId,
					{ filename, bytes },
					limits,
					storage
				);
				ids.push(stored.id);
			} catch (err) {
				if (!(err instanceof AttachmentRefusedError) || err.status === 503) throw err;
				refused.push({ filename, why: err.why });
			}
		}
	} catch (err) {
		await deleteUnsentUploads(db, target.userId, ids, storage).catch(() => {});
		throw err;
	}
	return { ids, refused };
}

/** "(2 attachments were not added: big.zip is over 25 MB; run.exe is not an allowed type)" */
export function refusedNote(refused: RefusedFile[]): string | null {
	if (refused.length === 0) return null;
	const count = refused.length === 1 ? '1 attachment was' : `${refused.length} attachments were`;
	return `(${count} not added: ${refused.map((r) => `${r.filename} ${r.why}`).join('; ')})`;
}

const NOT_POSTED_TEXT: Record<'empty' | 'too_long' | 'closed', string> = {
	empty:
		'We could not find any text of yours above the quoted email, so nothing was posted. Write your answer at the top of your reply, or answer in the conversation.',
	too_long: `Your reply is longer than ${MESSAGE_MAX_LENGTH.toLocaleString('en')} characters, so it was not posted. Shorten it, or answer in the conversation.`,
	closed: 'The conversation is closed, so your reply was not posted.'
};

/** Not posted: the sender gets a short email saying why (once per incoming email). */
async function notPosted(
	db: Db,
	target: ReplyTarget,
	email: InboundEmail,
	key: string,
	reason: 'empty' | 'too_long' | 'closed',
	note: string | null = null
): Promise<InboundResult> {
	const explanation = note ? `${NOT_POSTED_TEXT[reason]} ${note}` : NOT_POSTED_TEXT[reason];
	const text = `Hi ${target.displayName},\n\n${explanation}\n`;
	await enqueueEmail(db, {
		type: 'reply_not_posted',
		recipientId: target.userId,
		to: target.email,
		subject: `Your reply was not posted${email.subject ? `: ${email.subject.replace(/[\r\n]+/g, ' ').slice(0, 150)}` : ''}`,
		text,
		html: `<p>Hi ${escape(target.displayName)},</p><p>${escape(explanation)}</p>`,
		headers: { 'Auto-Submitted': 'auto-replied' },
		idempotencyKey: `reply-not-posted/${key}`
	});
	return { outcome: 'not_posted', reason };
}

function escape(text: string): string {
	return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// ---- The MIME door's parsing ---------------------------------------------------------------------

/** The address in "Name <addr>" or "addr", or null. */
export function addressOf(value: string | null | undefined): string | null {
	if (!value) return null;
	const parsed = addressParser(value, { flatten: true });
	const first = parsed.find((a) => a.address);
	return first?.address?.trim() || null;
}

function addresses(list: { address?: string; group?: { address: string }[] }[] | undefined) {
	return (list ?? []).flatMap((a) => (a.group ? a.group.map((g) => g.address) : [a.address ?? '']));
}

/** Parses a raw RFC 5322 message; `envelope` is what the mail server knows (sender, recipients). */
export async function parseRawEmail(
	raw: Uint8Array,
	envelope: { from?: string | null; to?: string[] } = {}
): Promise<InboundEmail> {
	const email = await PostalMime.parse(raw, { attachmentEncoding: 'arraybuffer' });
	const headers: Record<string, string> = {};
	for (const h of email.headers) headers[h.key] ??= h.value;
	const authenticationResults = email.headers
		.filter((h) => h.key === 'authentication-results')
		.map((h) => h.value);
	const deliveredTo = email.headers.filter((h) => h.key === 'delivered-to').map((h) => h.value);
	return {
		messageId: email.messageId ?? null,
		from: email.from && 'address' in email.from ? (email.from.address ?? null) : null,
		envelopeFrom:
			envelope.from !== undefined && envelope.from !== null
				? envelope.from.replace(/^<|>$/g, '')
				: null,
		recipients: [
			...addresses(email.to),
			...addresses(email.cc),
			...deliveredTo.map((d) => addressOf(d) ?? d),
			...(envelope.to ?? [])
		].filter(Boolean),
		subject: email.subject ?? '',
		headers,
		authenticationResults,
		text: email.text ?? null,
		html: email.html ?? null,
		attachments: email.attachments.map((a) => {
			const bytes =
				typeof a.content === 'string'
					? Buffer.from(a.content, a.encoding === 'base64' ? 'base64' : 'utf8')
					: new Uint8Array(a.content);
			return {
				filename: a.filename,
				// What the HTML shows (parts of multipart/related, inline parts), not a file.
				inline: a.related === true || a.disposition === 'inline',
				size: bytes.byteLength,
				load: async (maxBytes: number) => (bytes.byteLength > maxBytes ? null : bytes)
			};
		})
	};
}
