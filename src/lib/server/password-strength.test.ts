import { describe, expect, it } from 'vitest';
import { passwordWeakness } from './password-strength';

describe('passwordWeakness', () => {
	// Issue #13, finding 9: all three were accepted at sign-up.
	it.each(['aaaaaaaaaa', 'password12', '1234567890', 'qwertyuiop', 'parley-demo'])(
		'refuses %s and says why',
		(password) => {
			expect(passwordWeakness(password)).toMatch(/^This password is too easy to guess\. .+/);
		}
	);

	it('refuses a password made of the person’s own details', () => {
		expect(
			passwordWeakness('ana.lopez@example.com', ['ana.lopez@example.com', 'Ana Lopez'])
		).not.toBeNull();
	});

	it.each(['a long enough password', 'correct horse battery', 'Tr0ub4dor&3x'])(
		'accepts %s',
		(password) => {
			expect(passwordWeakness(password)).toBeNull();
		}
	);
});
