import { describe, expect, it } from 'vitest';
import { centsToPriceInput, offeringSchema } from './offerings';

const base = { name: 'GPU box', description: 'Fast.' };

describe('offeringSchema', () => {
	it.each([
		['49.50', 4950],
		['49.5', 4950],
		['0', 0],
		['1000000', 100_000_000],
		[' 12 ', 1200]
	])('reads the price %s as %i cents', (monthlyPrice, cents) => {
		expect(offeringSchema.parse({ ...base, monthlyPrice }).monthlyPrice).toBe(cents);
	});

	it.each(['', '-1', '1.234', 'abc', '1e3', '1000000.01'])(
		'refuses the price %j',
		(monthlyPrice) => {
			expect(offeringSchema.safeParse({ ...base, monthlyPrice }).success).toBe(false);
		}
	);

	it('round-trips cents to the form value', () => {
		expect(centsToPriceInput(4950)).toBe('49.50');
	});
});
