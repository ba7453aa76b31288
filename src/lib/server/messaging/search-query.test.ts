import { describe, expect, it } from 'vitest';
import {
	containsPattern,
	HEADLINE_MARKS,
	lexemeCount,
	narrowestClause,
	parseSearchQuery,
	prefixLength,
	toHighlights,
	withTypedPrefix
} from './search-query';

const { start: S, stop: E, fragment: F, hiddenLt: LT } = HEADLINE_MARKS;

describe('parseSearchQuery', () => {
	it('takes the last plain word as the prefix being typed', () => {
		expect(parseSearchQuery('door co')).toMatchObject({
			rest: 'door',
			prefix: 'co',
			clauses: [['door'], ['co']],
			hasPositiveTerm: true
		});
		expect(parseSearchQuery('invo')).toMatchObject({ rest: '', prefix: 'invo' });
	});

	it('takes the last word of a phrase still being typed (no closing quote) as the prefix', () => {
		expect(parseSearchQuery('"door co')).toMatchObject({
			rest: '"door',
			prefix: 'co',
			prefixIsAlternative: false,
			clauses: [['door co']]
		});
		expect(parseSearchQuery('gate or "door co')).toMatchObject({
			rest: 'gate or "door',
			prefix: 'co',
			prefixIsAlternative: false
		});
		expect(parseSearchQuery('door "co')).toMatchObject({ rest: 'door "', prefix: 'co' });
		expect(parseSearchQuery('"door c').prefix).toBe('c');
		expect(parseSearchQuery('-"door co').prefix).toBeNull();
		expect(parseSearchQuery('"door co ').prefix).toBe('co');
	});

	it('does not take a closed phrase, a negated word or `or` as a prefix', () => {
		expect(parseSearchQuery('"door code"').prefix).toBeNull();
		expect(parseSearchQuery('"door co"').prefix).toBeNull();
		expect(parseSearchQuery('door -code').prefix).toBeNull();
		expect(parseSearchQuery('door or').prefix).toBeNull();
		expect(parseSearchQuery('door c')).toMatchObject({ rest: 'door', prefix: 'c' });
		expect(parseSearchQuery('door !!').prefix).toBeNull();
	});

	it('reads phrases, negations and `or` for names and titles', () => {
		const parsed = parseSearchQuery('"Rita Renter" drill or saw -"old box" -broken');
		expect(parsed.clauses).toEqual([['Rita Renter'], ['drill', 'saw']]);
		expect(parsed.excluded).toEqual(['old box', 'broken']);
	});

	it('strips the punctuation around terms', () => {
		expect(parseSearchQuery('café, (door)').clauses).toEqual([['café'], ['door']]);
	});

	it('knows when nothing positive was asked for', () => {
		for (const q of ['-door', '""', 'or', '!!!', '- -', '-"door code"']) {
			expect(parseSearchQuery(q).hasPositiveTerm, q).toBe(false);
		}
		expect(parseSearchQuery('مرحبا').hasPositiveTerm).toBe(true);
	});
});

describe('withTypedPrefix', () => {
	it('turns the typed word’s lexemes, the last ones, into prefixes', () => {
		expect(withTypedPrefix(`'door' & 'co'`, 1)).toBe(`'door' & 'co':*`);
		expect(withTypedPrefix(`'gate' | 'ga'`, 1)).toBe(`'gate' | 'ga':*`);
		expect(withTypedPrefix(`'a' & ( 'b' | 'c' )`, 1)).toBe(`'a' & ( 'b' | 'c':* )`);
		expect(withTypedPrefix(`'x' & 'door-co' <-> 'door' <-> 'co'`, 3)).toBe(
			`'x' & 'door-co':* <-> 'door':* <-> 'co':*`
		);
		expect(withTypedPrefix(`'it''s' & 'o''b'`, 1)).toBe(`'it''s' & 'o''b':*`);
	});

	it('counts lexemes, quotes inside them included', () => {
		expect(lexemeCount(`'it''s' & 'door-co' <-> 'door' <-> 'co'`)).toBe(4);
		expect(lexemeCount('')).toBe(0);
	});

	it('counts a prefix in Chinese, Japanese or Thai characters double', () => {
		expect(prefixLength('co')).toBe(2);
		expect(prefixLength('玄関')).toBe(4);
		expect(prefixLength('(ça)')).toBe(2);
	});

	it('knows an alternative from one more required word', () => {
		expect(parseSearchQuery('gate or ga').prefixIsAlternative).toBe(true);
		expect(parseSearchQuery('gate ga').prefixIsAlternative).toBe(false);
	});
});

describe('narrowestClause', () => {
	it('picks the clause whose shortest alternative is longest, if it has three characters', () => {
		expect(narrowestClause([['door'], ['ab', 'garage'], ['renter']])).toEqual(['renter']);
		expect(narrowestClause([['ab'], ['cd', 'efgh']])).toBeNull();
	});
});

describe('containsPattern', () => {
	it('escapes what LIKE would read as wildcards', () => {
		expect(containsPattern('50%_off\\')).toBe('%50\\%\\_off\\\\%');
	});
});

describe('toHighlights', () => {
	it('turns marks into ranges on plain text', () => {
		const h = toHighlights(`the ${S}door${E} ${S}code${E} is 4711`, 'the door code is 4711');
		expect(h.text).toBe('the door code is 4711');
		expect(h.ranges.map((r) => h.text.slice(r.start, r.end))).toEqual(['door', 'code']);
	});

	it('gives back what looked like HTML as text, and collapses whitespace', () => {
		const body = 'a <script>x</script>\n\n <mark>door</mark>';
		const h = toHighlights(
			`a ${LT}script>x${LT}/script>\n\n ${LT}mark>${S}door${E}${LT}/mark>`,
			body
		);
		expect(h.text).toBe('a <script>x</script> <mark>door</mark>');
		expect(h.ranges.map((r) => h.text.slice(r.start, r.end))).toEqual(['door']);
	});

	it('marks cuts and joins fragments with an ellipsis', () => {
		const body = 'one two three door four five six seven door eight';
		const h = toHighlights(`three ${S}door${E} four${F}${S}door${E}`, body);
		expect(h.text).toBe('… three door four … door …');
		expect(h.ranges.map((r) => h.text.slice(r.start, r.end))).toEqual(['door', 'door']);
	});

	it('counts offsets in UTF-16 code units', () => {
		const h = toHighlights(`😀 ${S}café${E}`, '😀 café');
		expect(h.ranges).toEqual([{ start: 3, end: 7 }]);
	});
});
