import { createHash } from 'node:crypto';
import PostalMime, { addressParser } from 'postal-mime';
import { characterCount, MESSAGE_MAX_LENGTH, normalizeMessageBody } from '$lib/message-rules';
import type { Db } from '../db';
import { appendMessage } from '../messaging/append';
import { IdempotencyKeyReusedError, ThreadClosedError } from '../messaging/errors';
import { enqueueEmail } from './queue';
import { extractReply } from './reply-text';
import { findReplyTarget, tokenFromAddress, type ReplyTarget } from './reply-tokens';

// Replies to notification emails, whichever door they came in by (Resend's webhook or a raw MIME
// POST from any mail server), are handled here: one place decides what is posted and what is not.

export interface InboundAttachment {
	filename: string | null;
	/** Inline parts referenced by the HTML (a signature's logo) are not named in the note. */
	inline: boolean;
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
	/** Header names in lower case. */
	headers: Record<string, string>;
	text: string | null;
	html: string | null;
	attachments: InboundAttachment[];
}

export type DropReason =
	| 'no_token'
	| 'unknown_token'
	| 'sender_mismatch'
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
}

// Control characters other than newline and tab, which messages may not hold (messageBodySchema).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/gu;

const OUT_OF_OFFICE =
	/^(?:re:\s*|aw:\s*|r[ée]f?:\s*)*(?:auto(?:matic)?[\s-]*reply|autoreply|out of (?:the )?office|away from (?:the )?office|abwesenheit|automatische antwort|r[ée]ponse automatique|absence|respuesta autom[áa]tica|fuera de la oficina)\b/i;

/**
 * Decides what to do with one incoming email and does it. Everything it handles answers a result
 * (dropped ones included, logged without their content); it throws only when it could not decide,
 * a database failure, so the door answers 5xx and the sender's side retries.
 */
export async function receiveReply(
	db: Db,
	email: InboundEmail,
	context: InboundContext
): Promise<InboundResult> {
	const drop = (reason: DropReason): InboundResult => {
		console.warn(
			`Inbound email ${email.messageId ?? '(no Message-ID)'} dropped: ${reason} (from ${email.from ?? 'nobody'})`
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

	const key = dedupeKey(email);
	let body = normalizeMessageBody(
		extractReply({ text: email.text, html: email.html, senderName: target.displayName }).replace(
			CONTROL,
			''
		)
	);
	const note = attachmentNote(email.attachments);
	if (body && note) body = `${body}\n\n${note}`;
	if (!body) return notPosted(db, target, email, key, 'empty');
	if (characterCount(body) > MESSAGE_MAX_LENGTH) {
		return notPosted(db, target, email, key, 'too_long');
	}
	try {
		const posted = await appendMessage(
			db,
			{ kind: 'email', userId: target.userId },
			target.contractId,
			{ body, idempotencyKey: key }
		);
		if (!posted) return drop('unknown_token');
		if (posted.replayed) return { outcome: 'duplicate', messageId: posted.message.id };
		return { outcome: 'posted', messageId: posted.message.id, contractId: target.contractId };
	} catch (err) {
		// The same Message-ID read a little differently by the other door: still the same email.
		if (err instanceof IdempotencyKeyReusedError) return { outcome: 'duplicate', messageId: null };
		if (err instanceof ThreadClosedError) return notPosted(db, target, email, key, 'closed');
		throw err;
	}
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

/** "(2 attachments not included: a.pdf, b.jpg)": email attachments are not carried over. */
export function attachmentNote(attachments: InboundAttachment[]): string | null {
	const named = attachments.filter((a) => !a.inline);
	if (named.length === 0) return null;
	const names = named.map((a) => a.filename?.replace(/[\r\n]+/g, ' ').trim() || 'unnamed');
	const count = named.length === 1 ? '1 attachment' : `${named.length} attachments`;
	return `(${count} not included: ${names.join(', ')})`;
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
	reason: 'empty' | 'too_long' | 'closed'
): Promise<InboundResult> {
	const text = `Hi ${target.displayName},\n\n${NOT_POSTED_TEXT[reason]}\n`;
	await enqueueEmail(db, {
		type: 'reply_not_posted',
		recipientId: target.userId,
		to: target.email,
		subject: `Your reply was not posted${email.subject ? `: ${email.subject.replace(/[\r\n]+/g, ' ').slice(0, 150)}` : ''}`,
		text,
		html: `<p>Hi ${escape(target.displayName)},</p><p>${escape(NOT_POSTED_TEXT[reason])}</p>`,
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
		text: email.text ?? null,
		html: email.html ?? null,
		attachments: email.attachments.map((a) => ({
			filename: a.filename,
			// Parts of multipart/related are what the HTML shows (a signature's logo), not files.
			inline: a.related === true
		}))
	};
}
