import { expect, test } from '@playwright/test';
import { DEMO_PASSWORD } from './pages';

// Issue #13, finding 1: every one of these used to answer `303 location: //evil.com`.
const OPEN_REDIRECTS = [
	'/.//evil.com',
	'/..//evil.com',
	'/%2e//evil.com',
	'/a/..//evil.com',
	'/./%5Cevil.com'
];

function expectSameOrigin(location: string | undefined, origin: string) {
	expect(location).toBeDefined();
	expect(location!).not.toMatch(/^\/[/\\]/);
	expect(new URL(location!, origin).origin).toBe(origin);
}

test('login and signup never redirect to another site (GET and the POST form field)', async ({
	playwright,
	baseURL
}) => {
	const origin = new URL(baseURL!).origin;
	const context = await playwright.request.newContext({ baseURL });
	for (const target of OPEN_REDIRECTS) {
		const login = await context.post(`/login?redirectTo=${encodeURIComponent(target)}`, {
			form: { email: 'renter@example.com', password: DEMO_PASSWORD },
			headers: { origin },
			maxRedirects: 0
		});
		expect(login.status(), target).toBe(303);
		expectSameOrigin(login.headers()['location'], origin);

		const field = await context.post('/login', {
			form: { email: 'renter@example.com', password: DEMO_PASSWORD, redirectTo: target },
			headers: { origin },
			maxRedirects: 0
		});
		expect(field.status(), target).toBe(303);
		expectSameOrigin(field.headers()['location'], origin);

		// Signed in now: GET /login and /signup redirect straight to redirectTo.
		for (const page of ['/login', '/signup']) {
			const get = await context.get(`${page}?redirectTo=${encodeURIComponent(target)}`, {
				maxRedirects: 0
			});
			expect(get.status(), `${page} ${target}`).toBe(303);
			expectSameOrigin(get.headers()['location'], origin);
		}
	}
	await context.dispose();

	for (const [i, target] of OPEN_REDIRECTS.entries()) {
		const fresh = await playwright.request.newContext({ baseURL });
		const signup = await fresh.post('/signup', {
			form: {
				displayName: 'Redirect Tester',
				email: `redirect-${Date.now()}-${i}@example.com`,
				password: 'a long unusual passphrase 7',
				redirectTo: target
			},
			headers: { origin },
			maxRedirects: 0
		});
		expect(signup.status(), target).toBe(303);
		expectSameOrigin(signup.headers()['location'], origin);
		await fresh.dispose();
	}
});
