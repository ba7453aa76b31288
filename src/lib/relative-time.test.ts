import { describe, expect, it } from 'vitest';
import { dayLabel, relativeTime } from './relative-time';

const now = new Date('2026-11-24T15:00:00');

describe('relativeTime', () => {
	it.each([
		['2026-11-24T14:59:30', 'just now'],
		['2026-11-24T14:30:00', '30 min ago'],
		['2026-11-24T09:00:00', '6 h ago'],
		['2026-11-23T23:00:00', 'Yesterday'],
		['2026-11-20T10:00:00', 'Fri'],
		['2026-03-12T10:00:00', '12 Mar'],
		['2025-03-12T10:00:00', '12 Mar 2025']
	])('%s -> %s', (value, expected) => {
		expect(relativeTime(value, now)).toBe(expected);
	});
});

describe('dayLabel', () => {
	it('names today and yesterday, and dates before that', () => {
		expect(dayLabel('2026-11-24T01:00:00', now)).toBe('Today');
		expect(dayLabel('2026-11-23T01:00:00', now)).toBe('Yesterday');
		expect(dayLabel('2026-11-20T01:00:00', now)).toBe('Friday 20 November 2026');
	});
});
