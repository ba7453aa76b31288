import { describe, expect, it } from 'vitest';
import { hstsHeader, isPrivateResponse } from './security-headers';

describe('security headers', () => {
	it('sends HSTS only when ORIGIN is https', () => {
		expect(hstsHeader('https://parley.example')).toBe('max-age=31536000; includeSubDomains');
		expect(hstsHeader('http://localhost:5173')).toBeNull();
	});

	it('keeps API answers and signed-in pages out of caches', () => {
		expect(isPrivateResponse('/api/messages/inbox', false)).toBe(true);
		expect(isPrivateResponse('/dashboard', true)).toBe(true);
		expect(isPrivateResponse('/login', false)).toBe(false);
		expect(isPrivateResponse('/apiary', false)).toBe(false);
	});
});
