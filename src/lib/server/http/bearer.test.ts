import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors';
import { InsufficientScopeError, bearerToken, requireScope } from './bearer';

describe('bearerToken', () => {
	const headers = (authorization?: string) =>
		new Headers(authorization === undefined ? {} : { authorization });

	it('reads the token of a Bearer header, whatever the scheme’s case', () => {
		expect(bearerToken(headers('Bearer parley_pat_abc'))).toBe('parley_pat_abc');
		expect(bearerToken(headers('bearer   parley_pat_abc  '))).toBe('parley_pat_abc');
	});

	it('answers null without a Bearer header, so the session cookie decides', () => {
		expect(bearerToken(headers())).toBeNull();
		expect(bearerToken(headers('Basic dXNlcjpwdw=='))).toBeNull();
	});

	it('answers an empty token for a Bearer header without one (a 401, not the cookie)', () => {
		expect(bearerToken(headers('Bearer'))).toBe('');
		expect(bearerToken(headers('Bearer   '))).toBe('');
	});
});

describe('requireScope', () => {
	const token = {
		id: 'c2a4e0c4-3f4e-4a8e-9d2a-0c6f2d9f5b11',
		kind: 'personal' as const,
		name: 'script',
		scopes: ['messages:read' as const]
	};

	it('lets the session cookie (no token) through', () => {
		expect(() => requireScope(null, 'messages:write')).not.toThrow();
		expect(() => requireScope(null, 'session')).not.toThrow();
	});

	it('lets a token through with the scope, and answers 403 insufficient_scope naming it without', () => {
		expect(() => requireScope(token, 'messages:read')).not.toThrow();
		const refusal = (() => {
			try {
				requireScope(token, 'messages:write');
			} catch (err) {
				return err;
			}
		})();
		expect(refusal).toBeInstanceOf(InsufficientScopeError);
		expect(refusal).toMatchObject({
			status: 403,
			code: 'insufficient_scope',
			details: { requiredScope: 'messages:write' }
		});
		expect((refusal as DomainError).message).toContain('messages:write');
	});

	it('refuses every token on account endpoints', () => {
		const all = {
			...token,
			scopes: ['messages:read', 'messages:write', 'contracts:read'] as const
		};
		expect(() => requireScope({ ...all, scopes: [...all.scopes] }, 'session')).toThrow(
			/session cookie/
		);
	});
});
