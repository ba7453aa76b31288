import { describe, expect, it } from 'vitest';
import { isPostgresTimestampText } from './timestamp-text';

describe('isPostgresTimestampText', () => {
	it.each([
		'2024-02-29 10:00:00+00',
		'2024-02-29 10:00:00.123456+00',
		'2026-11-29 23:59:59.5-05:30',
		'0001-01-01 00:00:00+00'
	])('accepts %s', (value) => expect(isPostgresTimestampText(value)).toBe(true));

	it.each([
		'2024-13-45 99:99:99+00',
		'2024-02-30 10:00:00+00',
		'2023-02-29 10:00:00+00',
		'2024-04-31 10:00:00+00',
		'2024-00-10 10:00:00+00',
		'2024-01-01 24:00:00+00',
		'2024-01-01 10:60:00+00',
		'2024-01-01 10:00:60+00',
		'0000-01-01 00:00:00+00',
		'2024-01-01 10:00:00+99',
		'2024-01-01T10:00:00Z',
		42,
		null
	])('refuses %s', (value) => expect(isPostgresTimestampText(value)).toBe(false));
});
