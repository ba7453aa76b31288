import { describe, expect, it } from 'vitest';
import { highlightSegments, leadToMatch, messageResultHref } from './search';

describe('highlightSegments', () => {
	it('cuts the text into plain and matched pieces', () => {
		expect(
			highlightSegments('the door code', [
				{ start: 4, end: 8 },
				{ start: 9, end: 13 }
			])
		).toEqual([
			{ text: 'the ', match: false },
			{ text: 'door', match: true },
			{ text: ' ', match: false },
			{ text: 'code', match: true }
		]);
	});

	it('clips, sorts and merges ranges, and keeps markup as text', () => {
		const text = '<b>door</b>';
		expect(
			highlightSegments(text, [
				{ start: 5, end: 99 },
				{ start: 3, end: 6 },
				{ start: -4, end: 0 }
			])
		).toEqual([
			{ text: '<b>', match: false },
			{ text: 'door</b>', match: true }
		]);
		expect(highlightSegments('', [{ start: 0, end: 2 }])).toEqual([]);
	});
});

describe('messageResultHref', () => {
	it('opens the conversation around the message, at the message', () => {
		expect(messageResultHref('c', 'm')).toBe('/dashboard/rentals/c/messages?around=m#message-m');
	});
});

describe('leadToMatch', () => {
	const marked = (r: { text: string; ranges: { start: number; end: number }[] }) =>
		r.ranges.map((range) => r.text.slice(range.start, range.end));

	it('leaves a snippet whose match is near the start as it is', () => {
		const ranges = [{ start: 10, end: 17 }];
		expect(leadToMatch('Please pay invoice 12 today', ranges, 40)).toEqual({
			text: 'Please pay invoice 12 today',
			ranges
		});
		expect(leadToMatch('no match here', [], 4)).toEqual({ text: 'no match here', ranges: [] });
	});

	it('starts at a word shortly before the first match, the ranges moved with it', () => {
		const text = `${'long sentence '.repeat(10)}then the invoice and the invoice again`;
		const at = text.indexOf('invoice');
		const again = text.lastIndexOf('invoice');
		const result = leadToMatch(
			text,
			[
				{ start: at, end: at + 7 },
				{ start: again, end: again + 7 }
			],
			20
		);
		expect(result.text.startsWith('…')).toBe(true);
		expect(result.text.length).toBeLessThan(text.length);
		expect(result.text.indexOf('invoice')).toBeLessThanOrEqual(21);
		expect(result.text[1]).not.toBe(' ');
		expect(text.includes(result.text.slice(1))).toBe(true);
		expect(result.text.slice(1, 2)).toMatch(/\S/);
		expect(marked(result)).toEqual(['invoice', 'invoice']);
	});

	it('skips one long word that comes before the match', () => {
		const text = `${'x'.repeat(135)} invoice`;
		const at = text.indexOf('invoice');
		const result = leadToMatch(text, [{ start: at, end: at + 7 }], 20);
		expect(result.text).toBe('…invoice');
		expect(marked(result)).toEqual(['invoice']);
	});
});
