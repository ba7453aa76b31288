import { parsePhoneNumberFromString } from 'libphonenumber-js/min';
import type { CountryCode } from 'libphonenumber-js/min';

// Contact details in a message of a rental that is not accepted yet are hidden from the other
// party (issue 13): the platform's protection ends where the parties move off it. The masker is
// a pure function of one message's text, run at write time only (appendMessage, editMessage) and
// only while masking applies, so reads never pay for it. The corpus in
// tests/fixtures/contact-masking/ measures it (precision and recall >= 95%).

export const CONTACT_PLACEHOLDER = '[contact details hidden until the rental is accepted]';

export type ContactMaskingMode = 'until-accepted' | 'always' | 'off';
export const CONTACT_MASKING_MODES = ['until-accepted', 'always', 'off'] as const;

interface Span {
	start: number;
	end: number;
}

// Countries whose national numbers are recognised without a "+": the markets and languages the
// corpus covers (English, German, Spanish) and their neighbours.
const NATIONAL_COUNTRIES: CountryCode[] = ['GB', 'US', 'DE', 'ES', 'FR', 'AT', 'CH', 'IE', 'MX'];

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu;

// "john at gmail dot com", "juan (arroba) gmail (punto) com", "max [at] web [punkt] de".
const OPEN = String.raw`[\s([{<"'*_-]*`;
const CLOSE = String.raw`[\s)\]}>"'*_-]*`;
const AT = String.raw`(?:at|@|arroba|chez|bei|ät|klammeraffe)`;
const DOT = String.raw`(?:dot|punkt|punto|point|\.)`;
const OBFUSCATED_EMAIL = new RegExp(
	String.raw`[\p{L}\p{N}._%+-]+${OPEN}${AT}${CLOSE}[\p{L}\p{N}-]+(?:${OPEN}${DOT}${CLOSE}[\p{L}\p{N}-]+)*${OPEN}${DOT}${CLOSE}(?:com|net|org|de|es|fr|co|uk|io|me|info|at|ch|it|nl|eu|mx|edu|gov)\b`,
	'giu'
);
// "my gmail is jsmith84", "jsmith84 at gmail": a mail provider named with an account.
const MAIL_PROVIDER = String.raw`(?:g-?mail|googlemail|yahoo|hotmail|outlook|icloud|proton(?:mail)?|gmx|web\.de|aol|live\.com|yandex)`;
const PROVIDER_ACCOUNT = new RegExp(
	String.raw`[\p{L}\p{N}._%+-]+${OPEN}${AT}${CLOSE}${MAIL_PROVIDER}\b|\b(?:my|mein|meine|mi)\s+${MAIL_PROVIDER}\s*(?:is|ist|es|:|-)\s*[\p{L}\p{N}._%+-]{3,}`,
	'giu'
);

// Messaging and social profile links, with or without a scheme.
const PROFILE_LINK =
	/(?:https?:\/\/)?(?:www\.|m\.|api\.|chat\.|web\.)?(?:wa\.me|wa\.link|whatsapp\.com|t\.me|telegram\.me|telegram\.dog|signal\.me|signal\.group|m\.me|messenger\.com|instagram\.com|instagr\.am|facebook\.com|fb\.com|fb\.me|twitter\.com|x\.com|linkedin\.com|tiktok\.com|snapchat\.com|viber\.com|skype\.com|discord\.gg|discord\.com|threema\.id|line\.me|wechat\.com|join\.skype\.com)\b(?:\/[^\s<>"')\]]*)?/giu;

// "telegram: @jsmith", "instagram jane_doe88", "add me on snapchat: janed", "skype live:cid.123".
const APP = String.raw`(?:whats\s?app|whatsapp|telegram|signal|insta(?:gram)?|ig|snap(?:chat)?|skype|viber|wechat|facebook|fb|twitter|tiktok|discord|kik|threema|messenger)`;
const APP_HANDLE = new RegExp(
	String.raw`\b${APP}\b(?:[\s-]+(?:me|mich|id|handle|name|user(?:name)?|account|cuenta|usuario|nick))?\s*(?:(?:ist|is|es)\b\s*:?|:|=|->|→)\s*@?[\p{L}\p{N}_.:-]*[\p{N}_.:@][\p{L}\p{N}_.:-]*|\b${APP}\b\s*:?\s*@[\p{L}\p{N}_.]{3,}`,
	'giu'
);
// "@jane_doe" on its own (not an email, not "@5pm").
const AT_HANDLE =
	/(?<![\p{L}\p{N}._%+-])@(?!\d{1,2}(?::\d{2})?\s*(?:am|pm|h|uhr)?\b)[\p{L}\p{N}_][\p{L}\p{N}_.]{2,29}/giu;

// Digits written as words, alone or mixed with numerals: seven or more in a row is a number.
const DIGIT_WORDS = [
	// English
	'zero',
	'oh',
	'o',
	'one',
	'two',
	'three',
	'four',
	'five',
	'six',
	'seven',
	'eight',
	'nine',
	'double',
	'triple',
	// German
	'null',
	'eins',
	'zwei',
	'zwo',
	'drei',
	'vier',
	'fünf',
	'fuenf',
	'sechs',
	'sieben',
	'acht',
	'neun',
	'doppel',
	// Spanish
	'cero',
	'uno',
	'dos',
	'tres',
	'cuatro',
	'cinco',
	'seis',
	'siete',
	'ocho',
	'nueve',
	'doble',
	// French
	'zéro',
	'un',
	'deux',
	'trois',
	'quatre',
	'cinq',
	'sept',
	'huit',
	'neuf'
];
const DIGIT_TOKEN = String.raw`(?:\d+|${DIGIT_WORDS.join('|')})`;
const SPELLED_NUMBER = new RegExp(
	String.raw`(?<![\p{L}\p{N}])\+?${DIGIT_TOKEN}(?:[\s,.\-/]+${DIGIT_TOKEN}){6,}(?![\p{L}\p{N}])`,
	'giu'
);
const DIGIT_WORD_SET = new Set(DIGIT_WORDS.filter((w) => w !== 'double' && w !== 'triple'));

// Runs of digits with phone punctuation between them, and what must not be read as one.
const DIGIT_RUN = /\+?\(?\d[\d\s().\-/]{5,}\d/g;
const DATE_OR_TIME =
	/\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b|\b\d{1,2}[:.h]\d{2}\s*(?:am|pm|uhr|h)?\b|\b\d{1,2}\s*(?:am|pm)\b/gi;
const REFERENCE_BEFORE =
	/(?:order|ref(?:erence)?|invoice|booking|tracking|serial|model|part|item|sku|iban|account|no\.|nr\.?|n[º°]|#|bestell(?:nummer)?|rechnung(?:snummer)?|auftrag|kundennummer|pedido|factura|referencia|número de (?:pedido|serie)|commande|facture|postcode|zip|plz|código postal)\p{L}{0,8}(?:\s+\p{L}+){0,2}\s*[:#]?\s*$/iu;

/** The character ranges of a text that hold contact details, sorted and merged. */
export function findContactDetails(text: string): Span[] {
	const spans: Span[] = [];
	const add = (start: number, end: number) => {
		if (end > start) spans.push({ start, end });
	};
	const collect = (pattern: RegExp, accept: (match: RegExpExecArray) => boolean = () => true) => {
		pattern.lastIndex = 0;
		for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
			if (accept(m)) add(m.index, m.index + m[0].length);
			if (m[0].length === 0) pattern.lastIndex++;
		}
	};

	collect(EMAIL);
	collect(OBFUSCATED_EMAIL, (m) => !/^\d+$/.test(m[0].split(/\s/)[0] ?? ''));
	collect(PROVIDER_ACCOUNT);
	collect(PROFILE_LINK);
	collect(APP_HANDLE);
	collect(AT_HANDLE, (m) => /\p{L}/u.test(m[0]));
	collect(SPELLED_NUMBER, (m) => spelledDigits(m[0]) >= 7 && hasDigitWord(m[0]));
	findPhoneNumbers(text, add);
	return mergeSpans(spans);
}

function spelledDigits(value: string): number {
	let count = 0;
	for (const token of value.toLowerCase().split(/[\s,.\-/+]+/)) {
		if (/^\d+$/.test(token)) count += token.length;
		else if (DIGIT_WORD_SET.has(token)) count += 1;
		else if (token === 'double' || token === 'doppel' || token === 'doble') count += 1;
		else if (token === 'triple') count += 2;
	}
	return count;
}

function hasDigitWord(value: string): boolean {
	return value
		.toLowerCase()
		.split(/[\s,.\-/+]+/)
		.some((token) => DIGIT_WORD_SET.has(token) && token !== 'o' && token !== 'un');
}

function findPhoneNumbers(text: string, add: (start: number, end: number) => void) {
	// Cheap exit: a phone number has at least 7 digits.
	let digits = 0;
	for (let i = 0; i < text.length && digits < 7; i++) {
		const c = text.charCodeAt(i);
		if (c >= 48 && c <= 57) digits++;
	}
	if (digits < 7) return;

	// Dates and times are blanked out first, so "2025-06-01 10:00" is not read as one number.
	const blanked = text.replace(DATE_OR_TIME, (m) => ' '.repeat(m.length));
	DIGIT_RUN.lastIndex = 0;
	for (let m = DIGIT_RUN.exec(blanked); m; m = DIGIT_RUN.exec(blanked)) {
		const candidate = m[0].trim();
		const start = m.index + m[0].indexOf(candidate);
		const numerals = candidate.replace(/\D/g, '');
		const international = candidate.startsWith('+') || candidate.startsWith('00');
		if (numerals.length < (international ? 8 : 9) || numerals.length > 15) continue;
		// Part of a code such as ABC-2025-00931 or 1Z999AA10123456784.
		if (/[\p{L}\p{N}][-/]?$/u.test(text.slice(Math.max(0, start - 2), start))) continue;
		if (REFERENCE_BEFORE.test(text.slice(Math.max(0, start - 30), start))) continue;
		// "+44 ..." and "0044 ..." are numbers by their form; a national number must be one that
		// libphonenumber finds possible in one of the countries (about 0.1 ms each, so only here).
		if (international || looksLikePhone(numerals)) add(start, start + candidate.length);
	}
}

function looksLikePhone(numerals: string): boolean {
	return NATIONAL_COUNTRIES.some((country) => {
		const parsed = parsePhoneNumberFromString(numerals, country);
		return parsed !== undefined && parsed.isPossible();
	});
}

function mergeSpans(spans: Span[]): Span[] {
	spans.sort((a, b) => a.start - b.start || b.end - a.end);
	const merged: Span[] = [];
	for (const span of spans) {
		const last = merged.at(-1);
		if (last && span.start <= last.end) last.end = Math.max(last.end, span.end);
		else merged.push({ ...span });
	}
	return merged;
}

/**
 * The text with every contact detail replaced by CONTACT_PLACEHOLDER; the same string when it
 * holds none. Neighbouring details ("call or text +44 ... / jo@x.com") become one placeholder
 * when only spaces and punctuation separate them.
 */
export function maskContactDetails(text: string): string {
	const spans = findContactDetails(text);
	if (spans.length === 0) return text;
	let out = '';
	let at = 0;
	for (const span of spans) {
		const between = text.slice(at, span.start);
		if (at > 0 && /^[\s,;/|-]*$/.test(between) && out.endsWith(CONTACT_PLACEHOLDER)) {
			at = span.end;
			continue;
		}
		out += between + CONTACT_PLACEHOLDER;
		at = span.end;
	}
	return out + text.slice(at);
}
