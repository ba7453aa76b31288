import { describe, expect, it } from 'vitest';
import { browserLanguage } from './language';

describe('browserLanguage', () => {
	it('takes the most preferred valid tag, lower-case', () => {
		expect(browserLanguage('de-DE,de;q=0.9,en;q=0.8')).toBe('de-de');
		expect(browserLanguage('en;q=0.5, fr-CH')).toBe('fr-ch');
		expect(browserLanguage('*;q=1, x_bad, it;q=0.3')).toBe('it');
	});

	it('is null without a usable header', () => {
		expect(browserLanguage(null)).toBeNull();
		expect(browserLanguage('')).toBeNull();
		expect(browserLanguage('*')).toBeNull();
		expect(browserLanguage('de;q=0')).toBeNull();
	});
});
