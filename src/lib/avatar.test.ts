import { describe, expect, it } from 'vitest';
import { avatarHue, initials } from './avatar';

describe('avatars', () => {
	it('take up to two initials, of the first and last word', () => {
		expect(initials('Paul Provider')).toBe('PP');
		expect(initials('  rita  ')).toBe('R');
		expect(initials('Anna Maria de la Cruz')).toBe('AC');
		expect(initials('Émile Zola')).toBe('ÉZ');
	});

	it('give the same person the same hue and different people different ones', () => {
		const a = '1b4e28ba-2fa1-41d2-883f-0016d3cca427';
		const b = '1b4e28ba-2fa1-41d2-883f-0016d3cca428';
		expect(avatarHue(a)).toBe(avatarHue(a));
		expect(avatarHue(a)).not.toBe(avatarHue(b));
		for (const id of [a, b, '']) {
			expect(avatarHue(id)).toBeGreaterThanOrEqual(0);
			expect(avatarHue(id)).toBeLessThan(360);
		}
	});
});
