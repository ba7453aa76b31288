import { describe, expect, it } from 'vitest';
import {
	allOfWords,
	oneWordTerms,
	parseTsquery,
	partyKey,
	scopedIndexQuery,
	searchKeys,
	weekPrefixes
} from './search-scope';

const KEY = '80c1eb730b6e';

describe('partyKey', () => {
	it('is the last twelve hex digits of the id, in lower case', () => {
		expect(partyKey('3929C430-0F3D-41D5-898B-80C1EB730B6E')).toBe(KEY);
	});

	it('is followed by ! for system messages, looked up only when they are asked for', () => {
		const id = '3929c430-0f3d-41d5-898b-80c1eb730b6e';
		expect(searchKeys(id, false)).toEqual([KEY]);
		expect(searchKeys(id, true)).toEqual([KEY, `${KEY}!`]);
	});
});

describe('scopedIndexQuery', () => {
	// The inputs are tsqueries as Postgres prints them (websearch_to_tsquery(...)::text).
	it.each([
		["'door'", `'${KEY}_door'`],
		["'door' & 'co':*", `('${KEY}_door' & '${KEY}_co':*)`],
		// A phrase's words must all be there; their positions are checked on the message.
		["'door' <-> 'code'", `('${KEY}_door' & '${KEY}_code')`],
		["'a' <2> 'b'", `('${KEY}_a' & '${KEY}_b')`],
		// A word left out narrows nothing down in the index.
		["'door' & !'back'", `'${KEY}_door'`],
		["'a' & !( 'x' <-> 'y' ) | 'z' & !'w'", `('${KEY}_a' | '${KEY}_z')`],
		["( 'a' | 'b' ) & 'c'", `(('${KEY}_a' | '${KEY}_b') & '${KEY}_c')`],
		// & binds tighter than |: a | (b & c).
		["'a' | 'b' & 'c'", `('${KEY}_a' | ('${KEY}_b' & '${KEY}_c'))`],
		// Quotes and backslashes stay escaped as Postgres wrote them; weights are not indexed.
		["'it''s' & 'a\\\\b':AB", `('${KEY}_it''s' & '${KEY}_a\\\\b')`],
		["'a':*AB", `'${KEY}_a':*`]
	])('%s', (tsquery, expected) => {
		expect(scopedIndexQuery(tsquery, [KEY])).toBe(expected);
	});

	it('is null when nothing positive is left', () => {
		// "a or -b" matches messages without b: no word of the query narrows the index down.
		expect(scopedIndexQuery("'a' | !'b'", [KEY])).toBeNull();
		expect(scopedIndexQuery("!'b'", [KEY])).toBeNull();
	});

	it('looks every word up under each key when there are two', () => {
		// A message's terms all carry one key: either a user's message or a system one.
		expect(scopedIndexQuery("'door' & 'co':*", [KEY, `${KEY}!`])).toBe(
			`(('${KEY}_door' | '${KEY}!_door') & ('${KEY}_co':* | '${KEY}!_co':*))`
		);
	});

	it('refuses text that is not a printed tsquery', () => {
		expect(() => parseTsquery("'a' &")).toThrow(/Unreadable/);
		expect(() => parseTsquery("'a' 'b'")).toThrow(/Unreadable/);
		expect(() => parseTsquery("( 'a'")).toThrow(/Unreadable/);
		expect(() => parseTsquery('a')).toThrow(/Unreadable/);
	});
});

describe('oneWordTerms', () => {
	it('finds one word, and the messages that hold it twice, by their own terms', () => {
		expect(oneWordTerms("'invoice'", [KEY])).toEqual({
			repeated: `'${KEY}#2_invoice'`,
			once: `'${KEY}_invoice'`
		});
		// Escaped as Postgres wrote it.
		expect(oneWordTerms("'it''s'", [KEY])?.once).toBe(`'${KEY}_it''s'`);
		expect(oneWordTerms("'invoice'", [KEY, `${KEY}!`])).toEqual({
			repeated: `('${KEY}#2_invoice' | '${KEY}!#2_invoice')`,
			once: `('${KEY}_invoice' | '${KEY}!_invoice')`
		});
		expect(weekPrefixes([KEY, `${KEY}!`])).toEqual([`${KEY}@`, `${KEY}!@`]);
	});

	it.each(["'invoice':*", "'invoice':A", "'door' & 'code'", "'door' <-> 'code'", "!'door'"])(
		'is null for anything but one word: %s',
		(tsquery) => {
			expect(oneWordTerms(tsquery, [KEY])).toBeNull();
		}
	);
});

describe('allOfWords', () => {
	it('lists the words that must all occur, in the order typed', () => {
		expect(allOfWords("'door' & 'co':*")).toEqual(["'door'", "'co':*"]);
		expect(allOfWords("'the' & 'door' & 'code'")).toEqual(["'the'", "'door'", "'code'"]);
		expect(allOfWords("'it''s' & 'a'")).toEqual(["'it''s'", "'a'"]);
	});

	it.each([
		"'door'",
		"'door':*",
		"'door' | 'code'",
		"'door' <-> 'code'",
		"'door' & !'code'",
		"'a' & ( 'b' | 'c' )",
		"'a' & 'b' <-> 'c'"
	])('is null for anything but words that must all occur: %s', (tsquery) => {
		expect(allOfWords(tsquery)).toBeNull();
	});
});
