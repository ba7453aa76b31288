import EmailReplyParser from 'email-reply-parser';
import { convert } from 'html-to-text';

// What a person wrote in a reply, without the email they answered or their signature. Our rules
// run first (the quote headers email-reply-parser misses: Outlook's "From: ... Sent:" block in four
// languages, Gmail's header wrapped over two lines, Apple Mail's quoted header), then
// email-reply-parser takes the quoted lines and the signatures it knows, then our signature rules.

const LOOKAHEAD = 3;

/** "On <date>, <name> wrote:" and its French, German and Spanish forms, possibly wrapped. */
const WROTE_HEADER =
	/^(?:on|le|am|el)\s[\s\S]{0,300}?\b(?:wrote|a écrit|schrieb|escribió)\b[^\n]{0,200}?\s?:$/i;
/** "-----Original Message-----" and its kin, Proton's "------- Original Message -------". */
const ORIGINAL_MESSAGE =
	/^-{2,}\s*(?:original message|forwarded message|message d'origine|ursprüngliche nachricht|mensaje original|urspr\S+ngliche nachricht)\s*-{2,}$/i;
/** The first line of Outlook's header block. */
const OUTLOOK_FROM = /^\*?(?:from|de|von|van|da)\s?:\*?\s*\S/i;
/** A line under it that proves it is the block: the date or "To:". */
const OUTLOOK_NEXT =
	/^\*?(?:sent|date|envoyé|gesendet|enviado|datum|fecha|to|à|an|para)\s?:\*?\s*\S/i;
/** Outlook's rule above its header block. */
const OUTLOOK_RULE = /^_{10,}$/;

/** Lines that end a reply on phones and webmails, with everything under them. */
const CLIENT_SIGNATURE = [
	/^sent from my \S.*$/i,
	/^sent from (?:outlook|mail|yahoo mail|gmail)\b.*$/i,
	/^sent with proton ?mail\b.*$/i,
	/^sent from proton ?mail\b.*$/i,
	/^get outlook for \S.*$/i,
	/^envoyé de mon \S.*$/i,
	/^envoyé depuis \S.*$/i,
	/^von meinem \S.*gesendet$/i,
	/^gesendet von meinem \S.*$/i,
	/^enviado desde mi \S.*$/i
];

/** "Best," "Cordialement," "Mit freundlichen Grüßen," "Saludos,": a closing line on its own. */
const CLOSING =
	/^(?:best|best regards|kind regards|regards|thanks|thank you|many thanks|cheers|cordialement|bien à vous|bien cordialement|merci|mit freundlichen grüßen|viele grüße|beste grüße|liebe grüße|grüße|gruß|saludos|un saludo|atentamente|gracias|muchas gracias)\s*[,.!]?$/i;

export interface ReplyInput {
	text: string | null | undefined;
	html: string | null | undefined;
	/** The sender's display name: a trailing block that starts with it is their signature. */
	senderName?: string | null;
}

/** The reply's own text, trimmed; empty when nothing but quotes and signatures was there. */
export function extractReply(input: ReplyInput): string {
	const source = input.text?.trim() ? input.text : input.html ? htmlToText(input.html) : '';
	const lines = normalise(source).split('\n');
	const header = findQuoteHeader(lines);
	const before = header === -1 ? lines : lines.slice(0, header);
	const after = header === -1 ? [] : lines.slice(header + 1);

	let kept: string[];
	if (isBlank(before.filter((l) => !isQuoted(l))) && hasInlineAnswers(after)) {
		kept = inlineAnswers(after);
	} else if (header === -1 && hasInlineAnswers(lines)) {
		kept = inlineAnswers(lines);
	} else {
		kept = new EmailReplyParser().parseReply(before.join('\n')).split('\n');
	}
	kept = cutClientSignature(kept);
	kept = cutNamedSignature(kept, input.senderName ?? null);
	return kept
		.join('\n')
		.replace(/\n{3,}/g, '\n\n')
		.trim();
}

export function htmlToText(html: string): string {
	return convert(html, {
		wordwrap: false,
		selectors: [
			// Quoted originals as the clients mark them, and Gmail's signature.
			{ selector: '.gmail_quote', format: 'skip' },
			{ selector: '.gmail_signature', format: 'skip' },
			{ selector: '.protonmail_quote', format: 'skip' },
			{ selector: '.moz-cite-prefix', format: 'skip' },
			{ selector: 'blockquote[type=cite]', format: 'skip' },
			{ selector: 'a', options: { ignoreHref: true } },
			{ selector: 'img', format: 'skip' },
			{ selector: 'h1', options: { uppercase: false } },
			{ selector: 'h2', options: { uppercase: false } },
			{ selector: 'h3', options: { uppercase: false } },
			{ selector: 'table', format: 'dataTable' }
		]
	});
}

function normalise(text: string): string {
	return text
		.replace(/\r\n?/g, '\n')
		.replace(/[\u00a0\u2007\u202f]/g, ' ')
		.replace(/\u200b|\ufeff/g, '')
		.split('\n')
		.map((line) => (line === '-- ' ? line : line.trimEnd()))
		.join('\n');
}

const isQuoted = (line: string) => /^\s*>/.test(line);
const isBlank = (lines: string[]) => lines.every((l) => l.trim() === '');
const unquote = (line: string) => line.replace(/^(\s*>)+\s?/, '');

/** The index of the first line of the quoted original's header (with a rule just above it), or -1. */
function findQuoteHeader(lines: string[]): number {
	const at = findHeaderLine(lines);
	if (at <= 0) return at;
	let above = at - 1;
	while (above > 0 && lines[above]!.trim() === '') above--;
	return /^\s*[-_=]{5,}\s*$/.test(lines[above]!) ? above : at;
}

function findHeaderLine(lines: string[]): number {
	for (let i = 0; i < lines.length; i++) {
		const line = unquote(lines[i]!).trim();
		if (line === '') continue;
		if (ORIGINAL_MESSAGE.test(line)) return i;
		if (OUTLOOK_RULE.test(line)) {
			const next = lines.slice(i + 1, i + 1 + LOOKAHEAD).find((l) => l.trim() !== '');
			if (next && OUTLOOK_FROM.test(next.trim())) return i;
		}
		if (OUTLOOK_FROM.test(line)) {
			const next = lines.slice(i + 1, i + 1 + LOOKAHEAD).map((l) => unquote(l).trim());
			if (next.some((l) => OUTLOOK_NEXT.test(l))) return i;
		}
		// The "wrote:" header, on this line or wrapped over the next two.
		if (/^(?:on|le|am|el)\s/i.test(line)) {
			let joined = line;
			for (let k = 0; k <= 2 && i + k < lines.length; k++) {
				if (k > 0) joined += ` ${unquote(lines[i + k]!).trim()}`;
				if (/\d/.test(joined) && WROTE_HEADER.test(joined)) return i;
			}
		}
	}
	return -1;
}

/** Quoted lines followed, further down, by the writer's own lines: an inline reply. */
function hasInlineAnswers(lines: string[]): boolean {
	let sawQuote = false;
	for (const line of lines) {
		if (isQuoted(line)) sawQuote = true;
		else if (sawQuote && line.trim() !== '' && !isSignatureStart(line)) return true;
	}
	return false;
}

/**
 * An inline reply keeps each answer with the few quoted lines it answers (as "> ..."), and drops
 * the quote after the last answer and the signature.
 */
function inlineAnswers(lines: string[]): string[] {
	const sig = lines.findIndex(isSignatureStart);
	const body = sig === -1 ? lines : lines.slice(0, sig);
	const out: string[] = [];
	let quote: string[] = [];
	for (const line of body) {
		if (isQuoted(line)) {
			// Only the quoted paragraph right above an answer stays with it.
			const text = unquote(line).trim();
			if (text === '') quote = [];
			else quote.push(`> ${text}`);
			continue;
		}
		if (line.trim() === '' && quote.length > 0) continue;
		if (quote.length > 0) {
			if (out.length > 0 && out[out.length - 1] !== '') out.push('');
			out.push(...quote.slice(-3));
			quote = [];
		}
		out.push(line);
	}
	return out;
}

function isSignatureStart(line: string): boolean {
	return (
		line === '-- ' || line.trim() === '--' || CLIENT_SIGNATURE.some((re) => re.test(line.trim()))
	);
}

function cutClientSignature(lines: string[]): string[] {
	const at = lines.findIndex(isSignatureStart);
	return at === -1 ? lines : lines.slice(0, at);
}

/**
 * A signature without "-- ": the sender's name near the end (alone, after a closing line such as
 * "Thanks," or "Cordialement,", or as "Cheers, Paul"), with at most a few short lines under it
 * (title, company, phone). The chat already shows who wrote it, so all of that goes.
 */
function cutNamedSignature(lines: string[], senderName: string | null): string[] {
	while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines = lines.slice(0, -1);
	if (!senderName) return lines;
	const names = nameForms(senderName);
	const isName = (line: string) => {
		const text = line
			.trim()
			.replace(/[,.!]$/, '')
			.toLowerCase();
		if (names.has(text)) return true;
		const comma = text.indexOf(',');
		return (
			comma > 0 && CLOSING.test(text.slice(0, comma)) && names.has(text.slice(comma + 1).trim())
		);
	};
	for (let n = lines.length - 1; n >= Math.max(0, lines.length - 8); n--) {
		if (lines[n]!.length > 80) return lines;
		if (!isName(lines[n]!)) continue;
		const previous = n > 0 ? lines[n - 1]!.trim() : '';
		if (CLOSING.test(previous)) return lines.slice(0, n - 1);
		if (previous === '') return lines.slice(0, n);
		return lines;
	}
	return lines;
}
function nameForms(name: string): Set<string> {
	const full = name.trim().toLowerCase();
	const first = full.split(/\s+/)[0] ?? full;
	return new Set([full, first]);
}
