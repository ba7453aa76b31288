import { expect, test } from '@playwright/test';
import { startFakeResend } from '../tests/helpers/fake-resend';
import { E2E_RESEND_PORT } from './env';
import { AuthPages, DEMO_PASSWORD, confirmEmailAddress } from './pages';

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
			headers: { origin, accept: 'text/html' },
			maxRedirects: 0
		});
		expect(login.status(), target).toBe(303);
		expectSameOrigin(login.headers()['location'], origin);

		const field = await context.post('/login', {
			form: { email: 'renter@example.com', password: DEMO_PASSWORD, redirectTo: target },
			headers: { origin, accept: 'text/html' },
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
			headers: { origin, accept: 'text/html' },
			maxRedirects: 0
		});
		expect(signup.status(), target).toBe(303);
		expectSameOrigin(signup.headers()['location'], origin);
		await fresh.dispose();
	}
});

// Issue #13, finding 7: these answered 500.
test('out-of-range cursors answer 400 on the API and the first page on pages', async ({
	playwright,
	baseURL
}) => {
	const origin = new URL(baseURL!).origin;
	const context = await playwright.request.newContext({ baseURL });
	const login = await context.post('/login', {
		form: { email: 'renter@example.com', password: DEMO_PASSWORD },
		headers: { origin, accept: 'text/html' },
		maxRedirects: 0
	});
	expect(login.status()).toBe(303);
	const inbox = await (await context.get('/api/messages/inbox')).json();
	const contractId: string = inbox.threads[0].contractId;

	const api = await context.get(`/api/contracts/${contractId}/messages?before=2147483648`);
	expect(api.status()).toBe(400);
	expect(await api.json()).toMatchObject({ error: { code: 'bad_request' } });
	const page = await context.get(`/dashboard/rentals/${contractId}/messages?before=2147483648`);
	expect(page.status()).toBe(200);

	for (const at of ['2024-13-45 99:99:99+00', '2024-02-30 10:00:00+00']) {
		const cursor = Buffer.from(
			JSON.stringify([at, '00000000-0000-4000-8000-000000000000'])
		).toString('base64url');
		const apiInbox = await context.get(`/api/messages/inbox?cursor=${cursor}`);
		expect(apiInbox.status(), at).toBe(400);
		expect(await apiInbox.json(), at).toMatchObject({ error: { code: 'bad_request' } });
		const pageInbox = await context.get(`/dashboard/messages?cursor=${cursor}`);
		expect(pageInbox.status(), at).toBe(200);
		expect(await pageInbox.text()).toContain(inbox.threads[0].contractId);
	}
	await context.dispose();
});

// Issue #13, finding 8: no CSP, signed-in pages and API answers cacheable, static files sniffable.
test('pages carry a CSP with a nonce, private answers are not stored, static files are nosniff', async ({
	page,
	playwright,
	baseURL
}) => {
	const violations: string[] = [];
	page.on('console', (m) => {
		if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
	});
	const loginPage = await page.goto('/login');
	const csp = loginPage!.headers()['content-security-policy'] ?? '';
	expect(csp).toContain("frame-ancestors 'none'");
	expect(csp).toContain("object-src 'none'");
	expect(csp).toContain("base-uri 'self'");
	expect(csp).toMatch(/script-src 'self' 'nonce-[^']+'/);
	expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
	// The app still starts under the policy.
	await page.locator('html[data-hydrated]').waitFor();

	const origin = new URL(baseURL!).origin;
	const context = await playwright.request.newContext({ baseURL });
	await context.post('/login', {
		form: { email: 'renter@example.com', password: DEMO_PASSWORD },
		headers: { origin, accept: 'text/html' },
		maxRedirects: 0
	});
	for (const path of ['/dashboard', '/dashboard/messages', '/api/messages/inbox']) {
		const response = await context.get(path);
		expect(response.status(), path).toBe(200);
		expect(response.headers()['cache-control'], path).toBe('no-store');
	}
	const signedOut = await playwright.request.newContext({ baseURL });
	expect((await signedOut.get('/api/messages/inbox')).headers()['cache-control']).toBe('no-store');

	const html = await (await signedOut.get('/login')).text();
	const asset = html.match(/\/_app\/immutable\/[^"']+\.js/)![0];
	for (const path of ['/favicon.svg', asset]) {
		const response = await signedOut.get(path);
		expect(response.status(), path).toBe(200);
		expect(response.headers()['x-content-type-options'], path).toBe('nosniff');
	}
	// ORIGIN is http here: no HSTS (an https ORIGIN gets it; see security-headers.test.ts).
	expect((await signedOut.get('/login')).headers()['strict-transport-security']).toBeUndefined();
	expect(violations).toEqual([]);
	await context.dispose();
	await signedOut.dispose();
});

// Issue #13, finding 9: aaaaaaaaaa, password12 and 1234567890 were accepted.
test('sign-up refuses a guessable password and says why; settings change it and list sessions', async ({
	browser
}) => {
	const context = await browser.newContext();
	const page = await context.newPage();
	await page.goto('/signup');
	await page.locator('html[data-hydrated]').waitFor();
	const email = `pw-${Date.now()}@example.com`;
	await page.getByLabel('Display name').fill('Paula Password');
	await page.getByLabel('Email').fill(email);
	for (const weak of ['aaaaaaaaaa', 'password12', '1234567890']) {
		await page.getByLabel('Password').fill(weak);
		await page.getByRole('button', { name: 'Sign up' }).click();
		await expect(page.locator('#password-error')).toContainText('too easy to guess');
		await expect(page).toHaveURL(/\/signup/);
		// Nothing else typed is lost.
		await expect(page.getByLabel('Email')).toHaveValue(email);
	}
	// A password logs in once the address is confirmed, through the email the stand-in receives.
	const fake = await startFakeResend(E2E_RESEND_PORT);
	try {
		await page.getByLabel('Password').fill('a long enough password');
		await page.getByRole('button', { name: 'Sign up' }).click();
		await expect(page.getByTestId('current-user')).toHaveText('Paula Password');
		await confirmEmailAddress(page, fake, email);
	} finally {
		await fake.close();
	}

	// A second device.
	const other = await browser.newContext();
	const otherPage = await other.newPage();
	await new AuthPages(otherPage).logIn(email, 'a long enough password');

	await page.goto('/dashboard/settings');
	await page.locator('html[data-hydrated]').waitFor();
	await expect(page.getByTestId('session')).toHaveCount(2);
	await expect(page.getByTestId('session').first()).toContainText('This device');

	await page.getByLabel('Current password').fill('a long enough password');
	await page.getByLabel('New password').fill('password12');
	await page.getByRole('button', { name: 'Change password' }).click();
	await expect(page.locator('#newPassword-error')).toContainText('too easy to guess');

	await page.getByLabel('Current password').fill('a long enough password');
	await page.getByLabel('New password').fill('a different long passphrase');
	await page.getByRole('button', { name: 'Change password' }).click();
	await expect(page.getByText('1 other session was signed out')).toBeVisible();
	await expect(page.getByTestId('session')).toHaveCount(1);

	// The other device is signed out.
	await otherPage.goto('/dashboard');
	await expect(otherPage).toHaveURL(/\/login/);
	await context.close();
	await other.close();
});
