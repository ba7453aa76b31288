import { describe, expect, it } from 'vitest';
import { authenticationFailure, parseAuthenticationResults } from './auth-results';

const settings = { mode: 'dmarc' as const, authservIds: ['mx.parley.test'] };
const from = 'paul@martin.example';

describe('parseAuthenticationResults', () => {
	it('reads the authserv-id and each method with its properties, comments and folding aside', () => {
		const parsed = parseAuthenticationResults(
			'mx.parley.test (Postfix);\r\n\tspf=pass (sender is allowed) smtp.mailfrom=paul@martin.example;\r\n dkim=fail reason="bad signature" header.d=martin.example header.s=s1; dmarc=pass (p=reject) header.from=Martin.Example'
		);
		expect(parsed).toEqual({
			authservId: 'mx.parley.test',
			results: [
				{ method: 'spf', result: 'pass', props: { 'smtp.mailfrom': 'paul@martin.example' } },
				{
					method: 'dkim',
					result: 'fail',
					props: { reason: 'bad signature', 'header.d': 'martin.example', 'header.s': 's1' }
				},
				{ method: 'dmarc', result: 'pass', props: { 'header.from': 'martin.example' } }
			]
		});
	});
});

describe('authenticationFailure', () => {
	it('refuses dmarc=fail, spf=fail and dkim=fail for the From domain from a trusted host', () => {
		const check = (header: string) => authenticationFailure([header], from, settings);
		expect(check('mx.parley.test; dmarc=fail (p=reject) header.from=martin.example')).toBe(
			'dmarc=fail'
		);
		expect(check('mx.parley.test; spf=fail smtp.mailfrom=paul@martin.example')).toBe('spf=fail');
		expect(check('mx.parley.test; dkim=fail header.d=martin.example')).toBe('dkim=fail');
		// A passing signature of the domain outweighs a broken one; other domains do not count.
		expect(
			check('mx.parley.test; dkim=fail header.d=martin.example; dkim=pass header.d=martin.example')
		).toBeNull();
		expect(check('mx.parley.test; dkim=fail header.d=esp.example')).toBeNull();
		expect(check('mx.parley.test; dmarc=fail header.from=other.example')).toBeNull();
		expect(check('mx.parley.test; dmarc=pass header.from=martin.example')).toBeNull();
		expect(check('mx.parley.test; dmarc=none header.from=martin.example')).toBeNull();
	});

	it("ignores headers from any other host, so a sender's own header decides nothing", () => {
		expect(
			authenticationFailure(['mx.evil.test; dmarc=fail header.from=martin.example'], from, settings)
		).toBeNull();
		// A forged pass does not hide the trusted host's fail.
		expect(
			authenticationFailure(
				[
					'mx.parley.test; dmarc=fail header.from=martin.example',
					'mx.parley.test; dmarc=pass header.from=martin.example'
				],
				from,
				settings
			)
		).toBe('dmarc=fail');
	});

	it('accepts mail without results unless `pass` is asked for; `off` reads nothing', () => {
		expect(authenticationFailure([], from, settings)).toBeNull();
		expect(authenticationFailure([], from, { ...settings, mode: 'pass' })).toBe('no dmarc=pass');
		expect(
			authenticationFailure(['mx.parley.test; dmarc=pass header.from=martin.example'], from, {
				...settings,
				mode: 'pass'
			})
		).toBeNull();
		expect(
			authenticationFailure(['mx.parley.test; dmarc=fail header.from=martin.example'], from, {
				...settings,
				mode: 'off'
			})
		).toBeNull();
	});
});
