// A person's words in the search index. The index holds every word of a message twice, once
// for each party of its contract, as `<party key>_<word>` (search_scoped_terms, migration
// 0034). So "this word in my messages" is one posting list of its own: its length follows my
// matches, not the messages of everyone that hold the word, nor all of my messages. Beside them,
// per party: `<party key>#2_<word>` for a word a message holds twice or more, and
// `<party key>@<week>` for the week it was written (weekPrefixes below). A system message's terms
// carry `<party key>!` instead (migration 0037): a search that leaves system messages out never
// reads them, one that asks for them looks up both keys. Every term of a message carries the same
// key, so looking each word up under either key finds exactly the messages that hold all of them
// under one.
//
// The index is looked up with a tsquery whose lexemes carry the viewer's key. It only has to find
// a superset of the matches: the query filters the rows it returns with the real tsquery on the
// message's own words, and keeps only messages the viewer is a party to (two people whose keys
// collided would find each other's rows in the index and nothing more).

/** The party key of a user: the last 12 hex digits of the id, the random ones in a UUID. */
export function partyKey(userId: string): string {
	return userId.toLowerCase().slice(-12);
}

/** The keys a search looks its words up under: the viewer's, and with system messages theirs. */
export function searchKeys(userId: string, includeSystem: boolean): string[] {
	const key = partyKey(userId);
	return includeSystem ? [key, `${key}!`] : [key];
}

/** One term under each key, as a tsquery: `'<key>_word'`, or `('<key>_word' | '<key>!_word')`. */
function underEach(keys: string[], term: (key: string) => string): string {
	return keys.length === 1 ? term(keys[0]!) : `(${keys.map(term).join(' | ')})`;
}

type Node =
	| { kind: 'lexeme'; text: string }
	| { kind: 'not'; arg: Node }
	| { kind: 'and' | 'or' | 'phrase'; left: Node; right: Node };

/**
 * The viewer's index query for a tsquery (as Postgres prints it): every lexeme with the key in
 * front, a phrase as its words ANDed (positions are checked on the message), a negated part
 * left out (it cannot narrow an index lookup down). Null when nothing positive is left ("a or
 * -b"): such a query is no index lookup (querytree() is 'T') and is refused before it gets here.
 */
export function scopedIndexQuery(tsquery: string, keys: string[]): string | null {
	return necessary(parseTsquery(tsquery), keys);
}

/** A query that every match of `node` also matches; null for "anything". */
function necessary(node: Node, keys: string[]): string | null {
	switch (node.kind) {
		case 'lexeme': {
			// The index has no weights; a prefix stays a prefix.
			const [, word, flags] = /^('.*')(?::([*A-D]+))?$/.exec(node.text)!;
			const prefix = flags?.includes('*') ? ':*' : '';
			return underEach(keys, (key) => `'${key}_${word!.slice(1)}${prefix}`);
		}
		case 'not':
			return null;
		case 'and':
		case 'phrase': {
			const left = necessary(node.left, keys);
			const right = necessary(node.right, keys);
			return left && right ? `(${left} & ${right})` : (left ?? right);
		}
		case 'or': {
			const left = necessary(node.left, keys);
			const right = necessary(node.right, keys);
			return left && right ? `(${left} | ${right})` : null;
		}
	}
}

/** The week a time falls in, as the index counts them: whole weeks since 1970-01-01. */
export const WEEK_SECONDS = 604_800;

/**
 * The index terms that find one word's matches best first, when the query is that one word
 * (ranked by its occurrences up to two, search.ts): `repeated` finds the messages that hold it
 * twice or more, `once` all of them; null for any other query (several words, a prefix, a
 * phrase, a negation).
 */
export function oneWordTerms(
	tsquery: string,
	keys: string[]
): { repeated: string; once: string } | null {
	const node = parseTsquery(tsquery);
	if (node.kind !== 'lexeme') return null;
	const [, word, flags] = /^'(.*)'(?::([*A-D]+))?$/.exec(node.text)!;
	if (flags) return null;
	return {
		repeated: underEach(keys, (key) => `'${key}#2_${word}'`),
		once: underEach(keys, (key) => `'${key}_${word}'`)
	};
}

/** The start of the week terms under each key: `<key>@`, followed by the week. */
export function weekPrefixes(keys: string[]): string[] {
	return keys.map((key) => `${key}@`);
}

/**
 * The lexemes of a query of several words that must all occur (`'door' & 'co':*`), in the order
 * they were typed, as Postgres printed them; null for any other query (one word, `or`, a phrase,
 * a negation).
 */
export function allOfWords(tsquery: string): string[] | null {
	const words: string[] = [];
	const collect = (node: Node): boolean => {
		if (node.kind === 'lexeme') {
			words.push(node.text);
			return true;
		}
		return node.kind === 'and' && collect(node.left) && collect(node.right);
	};
	return collect(parseTsquery(tsquery)) && words.length > 1 ? words : null;
}

// ---- tsquery text -------------------------------------------------------------------------------

// Postgres prints a tsquery with its lexemes quoted ('' and \\ inside), a lexeme's flags after a
// colon (':*' for a prefix, weights), the operators !, <->, <N>, &, | (binding in that order,
// tightest first) and parentheses.
const TOKEN = /\s*('(?:[^'\\]|''|\\.)*'(?::[*A-D]+)?|!|<\d+>|<->|&|\||\(|\))/y;

function tokens(text: string): string[] {
	const out: string[] = [];
	let end = 0;
	TOKEN.lastIndex = 0;
	for (let match = TOKEN.exec(text); match; match = TOKEN.exec(text)) {
		out.push(match[1]!);
		end = TOKEN.lastIndex;
	}
	if (text.slice(end).trim() !== '') throw new Error(`Unreadable tsquery: ${text}`);
	return out;
}

const BINARY: Record<string, { kind: 'and' | 'or' | 'phrase'; precedence: number }> = {
	'|': { kind: 'or', precedence: 1 },
	'&': { kind: 'and', precedence: 2 }
};

function binary(token: string | undefined) {
	if (token === undefined) return null;
	if (token.startsWith('<')) return { kind: 'phrase' as const, precedence: 3 };
	return BINARY[token] ?? null;
}

export function parseTsquery(text: string): Node {
	const list = tokens(text);
	let at = 0;
	const unexpected = (): never => {
		throw new Error(`Unreadable tsquery: ${text}`);
	};
	function operand(): Node {
		const token = list[at++] ?? unexpected();
		if (token === '!') return { kind: 'not', arg: operand() };
		if (token === '(') {
			const inner = expression(1);
			if (list[at++] !== ')') unexpected();
			return inner;
		}
		if (!token.startsWith("'")) unexpected();
		return { kind: 'lexeme', text: token };
	}
	function expression(minPrecedence: number): Node {
		let left = operand();
		for (let op = binary(list[at]); op && op.precedence >= minPrecedence; op = binary(list[at])) {
			at++;
			const right = expression(op.precedence + 1);
			left = { kind: op.kind, left, right };
		}
		return left;
	}
	const tree = expression(1);
	if (at !== list.length) unexpected();
	return tree;
}
