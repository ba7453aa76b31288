// What a search query says, read the way websearch_to_tsquery reads it: words (all must match),
// "a phrase", -without, `or`. Postgres turns the text into the tsquery itself; this only finds
// what Postgres does not do: the word being typed (matched as a prefix), the terms that names
// and titles are matched against, and whether anything positive was asked for at all.

/**
 * A prefix this long is selective enough to drive the index scan. A shorter one only filters the
 * matches of the other words ("door c"); alone ("c", "co") it is a word.
 */
export const INDEXED_PREFIX_LENGTH = 3;
/** Trigram indexes need three characters to narrow anything down. */
export const MIN_NAME_TERM_LENGTH = 3;

export interface ParsedSearch {
	/** The query without the word being typed, for websearch_to_tsquery. */
	rest: string;
	/**
	 * The word being typed, also matched as a prefix: the last word when it is a plain word (not
	 * negated), or the last word of a phrase whose closing quote is not typed yet.
	 */
	prefix: string | null;
	/** Whether that word is an alternative (`a or prefix`) rather than one more required word. */
	prefixIsAlternative: boolean;
	/** For names and titles: every clause must match one of its alternatives. */
	clauses: string[][];
	/** For names and titles: none of these may match. */
	excluded: string[];
	/** Whether the query asks for anything, rather than only for what to leave out. */
	hasPositiveTerm: boolean;
}

interface Token {
	kind: 'word' | 'phrase' | 'or';
	text: string;
	negated: boolean;
	start: number;
	/** A phrase without its closing quote (yet). */
	open?: boolean;
}

const WORD_CHARACTER = /[\p{L}\p{N}]/u;

function tokenize(query: string): Token[] {
	const tokens: Token[] = [];
	let i = 0;
	while (i < query.length) {
		if (/\s/.test(query[i]!)) {
			i++;
			continue;
		}
		const start = i;
		let negated = false;
		if (query[i] === '-' && i + 1 < query.length && !/\s/.test(query[i + 1]!)) {
			negated = true;
			i++;
		}
		if (query[i] === '"') {
			const close = query.indexOf('"', i + 1);
			const end = close === -1 ? query.length : close;
			tokens.push({
				kind: 'phrase',
				text: query.slice(i + 1, end),
				negated,
				start,
				open: close === -1
			});
			i = end + 1;
			continue;
		}
		let end = i;
		while (end < query.length && !/\s/.test(query[end]!) && query[end] !== '"') end++;
		const text = query.slice(i, end);
		const isOr = !negated && text.toLowerCase() === 'or';
		tokens.push({ kind: isOr ? 'or' : 'word', text, negated, start });
		i = end;
	}
	return tokens;
}

/** A term as names and titles are matched: without the punctuation around it. */
function nameTerm(text: string): string {
	return text.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '').replace(/\s+/g, ' ');
}

const length = (text: string) => [...text].length;

// Scripts written without spaces pack a word into fewer characters: two of them say as much as
// three Latin letters.
const DENSE_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]/u;

/** How long a prefix is, for the thresholds above: Chinese, Japanese and Thai count double. */
export function prefixLength(word: string): number {
	let n = 0;
	for (const ch of nameTerm(word)) n += DENSE_SCRIPT.test(ch) ? 2 : 1;
	return n;
}

export function parseSearchQuery(query: string): ParsedSearch {
	const tokens = tokenize(query);
	const clauses: string[][] = [];
	const excluded: string[] = [];
	let orPending = false;
	for (const token of tokens) {
		if (token.kind === 'or') {
			orPending = clauses.length > 0;
			continue;
		}
		const term = nameTerm(token.text);
		if (!term) continue;
		if (token.negated) excluded.push(term);
		else if (orPending) clauses.at(-1)!.push(term);
		else clauses.push([term]);
		orPending = false;
	}

	const prefix = typedWord(tokens.at(-1));
	return {
		rest: prefix ? query.slice(0, prefix.start).trim() : query.trim(),
		prefix: prefix ? prefix.text : null,
		prefixIsAlternative: !!prefix && !prefix.inPhrase && tokens.at(-2)?.kind === 'or',
		clauses,
		excluded,
		hasPositiveTerm: clauses.some((c) => c.some((term) => WORD_CHARACTER.test(term)))
	};
}

/**
 * The word being typed, where the query's last token has one: a plain word, or the last word of a
 * phrase still open (`"door co`: its words so far stay a phrase, the last one a prefix in it).
 */
function typedWord(
	last: Token | undefined
): { text: string; start: number; inPhrase: boolean } | null {
	if (!last || last.negated) return null;
	if (last.kind === 'word') {
		return WORD_CHARACTER.test(last.text)
			? { text: last.text, start: last.start, inPhrase: false }
			: null;
	}
	if (last.kind !== 'phrase' || !last.open) return null;
	const word = /(\S+)\s*$/u.exec(last.text);
	if (!word || !WORD_CHARACTER.test(word[1]!)) return null;
	// The phrase's text starts after its opening quote.
	return { text: word[1]!, start: last.start + 1 + word.index, inPhrase: true };
}

/**
 * The clause that narrows names and titles down best through the trigram indexes (its shortest
 * alternative is the longest), or null when every clause has a term too short for them.
 */
export function narrowestClause(clauses: string[][]): string[] | null {
	let best: string[] | null = null;
	let bestLength = 0;
	for (const clause of clauses) {
		const shortest = Math.min(...clause.map(length));
		if (shortest >= MIN_NAME_TERM_LENGTH && shortest > bestLength) {
			best = clause;
			bestLength = shortest;
		}
	}
	return best;
}

/**
 * `whole` (websearch_to_tsquery's output for the whole query) with its last `count` lexemes,
 * those of the word being typed, turned into prefixes: `'door' & 'co'` -> `'door' & 'co':*`.
 * websearch_to_tsquery keeps the words in the order they were typed.
 */
export function withTypedPrefix(whole: string, count: number): string {
	const lexemes = [...whole.matchAll(/'(?:[^']|'')*'(:[*A-D]+)?/g)];
	let result = whole;
	for (const match of lexemes.slice(-count).reverse()) {
		if (match[1]) continue;
		const end = match.index + match[0].length;
		result = `${result.slice(0, end)}:*${result.slice(end)}`;
	}
	return result;
}

/** How many lexemes a tsquery's text holds. */
export function lexemeCount(query: string): number {
	return [...query.matchAll(/'(?:[^']|'')*'/g)].length;
}

/** A LIKE pattern that finds `term` anywhere, with LIKE's own characters taken literally. */
export function containsPattern(term: string): string {
	return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

// ---- Highlights ---------------------------------------------------------------------------------

/**
 * ts_headline marks matches with these characters and separates fragments with the last one.
 * Message bodies cannot contain control characters (messageBodySchema), so they cannot collide
 * with text. `<` goes in as HIDDEN_LT: the headline parser drops anything that looks like an
 * HTML tag, and a message's text must come back as it was written.
 */
export const HEADLINE_MARKS = {
	hiddenLt: '\u0001',
	start: '\u0002',
	stop: '\u0003',
	fragment: '\u0004'
} as const;

export interface Highlights {
	/** The snippet, plain text: whitespace runs are single spaces, cuts are marked with "…". */
	text: string;
	/** The matched words, as [start, end) offsets into `text` in UTF-16 code units. */
	ranges: { start: number; end: number }[];
}

const ELLIPSIS = '…';

/** Plain text and match ranges from ts_headline's output (with HEADLINE_MARKS) for a message body. */
export function toHighlights(headline: string, body: string): Highlights {
	const fragments = headline
		.replaceAll(HEADLINE_MARKS.hiddenLt, '<')
		.split(HEADLINE_MARKS.fragment)
		.map(readFragment)
		.filter((f) => f.text.length > 0);
	const whole = collapseWhitespace(body);
	let text = '';
	const ranges: Highlights['ranges'] = [];
	fragments.forEach((fragment, i) => {
		const leading =
			i === 0 ? (whole.startsWith(fragment.text) ? '' : `${ELLIPSIS} `) : ` ${ELLIPSIS} `;
		text += leading;
		for (const r of fragment.ranges) {
			ranges.push({ start: r.start + text.length, end: r.end + text.length });
		}
		text += fragment.text;
	});
	const lastFragment = fragments.at(-1);
	if (lastFragment && !whole.endsWith(lastFragment.text)) text += ` ${ELLIPSIS}`;
	return { text, ranges };
}

function collapseWhitespace(text: string): string {
	return text.replace(/\s+/g, ' ').trim();
}

/** Whether a UTF-16 code unit is whitespace, as the regular expression class \s has it. */
function isWhitespace(code: number): boolean {
	return (
		(code >= 9 && code <= 13) ||
		code === 32 ||
		code === 0xa0 ||
		code === 0x1680 ||
		(code >= 0x2000 && code <= 0x200a) ||
		code === 0x2028 ||
		code === 0x2029 ||
		code === 0x202f ||
		code === 0x205f ||
		code === 0x3000 ||
		code === 0xfeff
	);
}

const START = HEADLINE_MARKS.start.charCodeAt(0);
const STOP = HEADLINE_MARKS.stop.charCodeAt(0);

/**
 * One fragment: its marks become ranges, its whitespace runs single spaces, trimmed. One pass over
 * the code units that copies runs of text whole (a page of twenty snippets is on every search).
 */
function readFragment(marked: string): Highlights {
	let text = '';
	const ranges: Highlights['ranges'] = [];
	let openAt: number | null = null;
	let pendingSpace = false;
	// Where the run of text being read began in `marked`, or -1 between runs.
	let runStart = -1;
	const endRun = (at: number) => {
		if (runStart >= 0) text += marked.slice(runStart, at);
		runStart = -1;
	};
	for (let i = 0; i < marked.length; i++) {
		const code = marked.charCodeAt(i);
		if (code === START) {
			endRun(i);
			if (pendingSpace && text) text += ' ';
			pendingSpace = false;
			openAt = text.length;
		} else if (code === STOP) {
			endRun(i);
			if (openAt !== null && text.length > openAt) ranges.push({ start: openAt, end: text.length });
			openAt = null;
		} else if (isWhitespace(code)) {
			endRun(i);
			pendingSpace = true;
		} else if (runStart < 0) {
			if (pendingSpace && text) text += ' ';
			pendingSpace = false;
			runStart = i;
		}
	}
	endRun(marked.length);
	return { text, ranges };
}
