import { z } from 'zod';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../auth-rules';

export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH };

const email = z
	.string({ error: 'Enter your email address.' })
	.trim()
	.min(1, 'Enter your email address.')
	.max(254, 'That email address is too long.')
	.pipe(z.email({ error: 'Enter a valid email address.' }));

export const signupSchema = z.object({
	displayName: z
		.string({ error: 'Enter your name.' })
		.trim()
		.min(1, 'Enter your name.')
		.max(80, 'Keep your name under 80 characters.')
		// Names appear in email headers and subjects: no line breaks or other control characters.
		.regex(/^[^\p{Cc}]*$/u, 'Your name cannot contain control characters.'),
	email,
	password: z
		.string({ error: 'Choose a password.' })
		.min(PASSWORD_MIN_LENGTH, `Use at least ${PASSWORD_MIN_LENGTH} characters.`)
		.max(PASSWORD_MAX_LENGTH, `Use at most ${PASSWORD_MAX_LENGTH} characters.`)
});

export const loginSchema = z.object({
	email,
	password: z
		.string({ error: 'Enter your password.' })
		.min(1, 'Enter your password.')
		.max(PASSWORD_MAX_LENGTH, 'Incorrect email or password.')
});

const REDIRECT_BASE = 'http://parley.invalid';

/**
 * Only same-origin paths: "/x" but never "//evil.example" or "/\evil.example". The decision is taken
 * on the normalised result (what the Location header will hold), since "/.//evil.example" or
 * "/a/..//evil.example" pass a check of the raw value yet normalise to "//evil.example".
 */
export function safeRedirectPath(
	value: string | null | undefined,
	fallback = '/dashboard'
): string {
	if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) {
		return fallback;
	}
	try {
		const url = new URL(value, REDIRECT_BASE);
		if (url.origin !== REDIRECT_BASE) return fallback;
		const path = url.pathname + url.search + url.hash;
		if (!path.startsWith('/') || /^\/[/\\]/.test(path)) return fallback;
		// Resolved again, as a browser would resolve the Location header, it must stay on our origin.
		if (new URL(path, REDIRECT_BASE).origin !== REDIRECT_BASE) return fallback;
		return path;
	} catch {
		return fallback;
	}
}
