import { describe, expect, it } from 'vitest';
import { highlightSegments, messageResultHref } from './search';

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
