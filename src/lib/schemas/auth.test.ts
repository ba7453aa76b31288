import { describe, expect, it } from 'vitest';
import { loginSchema, safeRedirectPath, signupSchema } from './auth';

describe('safeRedirectPath', () => {
	it('keeps same-origin paths with their query', () => {
		expect(safeRedirectPath('/dashboard/rentals/abc?tab=1')).toBe('/dashboard/rentals/abc?tab=1');
	});

	it.each([
		'//evil.example/x',
		'/\\evil.example',
		'https://evil.example/',
		'javascript:alert(1)',
		'',
		null
	])('falls back for %s', (value) => {
		expect(safeRedirectPath(value)).toBe('/dashboard');
	});

	// Issue #13 finding 1: the raw value passed the checks but its normalised form was protocol-relative.
	it.each([
		'/.//evil.com',
		'/..//evil.com',
		'/%2e//evil.com',
		'/%2E%2E//evil.com',
		'/a/..//evil.com',
		'/./%5Cevil.com',
		'/.\\evil.com',
		'/a/../\\evil.com',
		'/\t/evil.com',
		'/%09/evil.com'
	])('never answers a protocol-relative location for %s', (value) => {
		const result = safeRedirectPath(value);
		expect(result.startsWith('/')).toBe(true);
		expect(result).not.toMatch(/^\/[/\\]/);
		// Whatever comes back, a browser resolves it on our origin.
		expect(new URL(result, 'https://parley.example').origin).toBe('https://parley.example');
	});

	it('keeps a normalised same-origin path', () => {
		expect(safeRedirectPath('/dashboard/./rentals/../messages?x=1#m')).toBe(
			'/dashboard/messages?x=1#m'
		);
	});
});

describe('signupSchema', () => {
	it('trims and accepts a valid sign-up', () => {
		const parsed = signupSchema.parse({
			displayName: '  Ana  ',
			email: ' ana@example.com ',
			password: '0123456789'
		});
		expect(parsed).toEqual({
			displayName: 'Ana',
			email: 'ana@example.com',
			password: '0123456789'
		});
	});

	it('says what is wrong with each field', () => {
		const result = signupSchema.safeParse({
			displayName: 'A\r\nB',
			email: 'nope',
			password: 'short'
		});
		expect(result.success).toBe(false);
		const fields = result.error!.issues.map((i) => i.path[0]);
		expect(fields).toEqual(expect.arrayContaining(['displayName', 'email', 'password']));
		expect(result.error!.issues.find((i) => i.path[0] === 'password')?.message).toBe(
			'Use at least 10 characters.'
		);
	});
});

describe('loginSchema', () => {
	it('requires both fields', () => {
		expect(loginSchema.safeParse({ email: '', password: '' }).success).toBe(false);
		expect(loginSchema.safeParse({ email: 'a@b.co', password: 'x' }).success).toBe(true);
	});
});
