import { expect, test, type APIResponse } from '@playwright/test';
import { startFakeResend } from '../tests/helpers/fake-resend';
import { E2E_RESEND_PORT } from './env';
import { AuthPages, confirmationLink } from './pages';

// Issue #13, finding 4: sign-up said "An account with this email already exists" (409), so anyone
// could learn who has an account. Now a registered and a new address get the same answer.
test('sign-up answers alike for a registered and a new address (form and enhanced form)', async ({
	playwright,
	baseURL
}) => {
	const origin = new URL(baseURL!).origin;
	// What a response says, without what differs on every request (a fresh session token).
	const shape = async (response: APIResponse) => ({
		status: response.status(),
		location: response.headers()['location'] ?? null,
		cookies: response
			.headersArray()
			.filter((h) => h.name.toLowerCase() === 'set-cookie')
			.map((h) => h.value.replace(/=[^;]*/, '=TOKEN').replace(/Expires=[^;]*/i, 'Expires=DATE')),
		body: (await response.text()).replace(/[a-z0-9]{32}/g, 'TOKEN')
	});
	const signUp = async (email: string, enhanced: boolean) => {
		const context = await playwright.request.newContext({ baseURL });
		const response = await context.post('/signup', {
			form: { displayName: 'Curious', email, password: 'a long unusual passphrase 7' },
			headers: enhanced
				? { origin, accept: 'application/json', 'x-sveltekit-action': 'true' }
				: { origin, accept: 'text/html' },
			maxRedirects: 0
		});
		const result = await shape(response);
		await context.dispose();
		return result;
	};
	for (const enhanced of [false, true]) {
		const registered = await signUp('renter@example.com', enhanced);
		const fresh = await signUp(`new-${Date.now()}-${enhanced}@example.com`, enhanced);
		expect(registered, enhanced ? 'enhanced' : 'plain form').toEqual(fresh);
		expect(fresh.status).toBe(enhanced ? 200 : 303);
	}
});

test('a new account can use Parley at once with a banner; the emailed link confirms it and the banner goes', async ({
	browser
}) => {
	test.setTimeout(90_000);
	const fake = await startFakeResend(E2E_RESEND_PORT);
	try {
		const address = `confirm-${Date.now()}@example.com`;
		const context = await browser.newContext();
		const page = await context.newPage();
		await new AuthPages(page).signUp('Cora Confirm', address, 'a long enough password');
		const banner = page.getByTestId('confirm-email-banner');
		await expect(banner).toContainText(address);
		await expect(banner).toContainText('Parley emails you nothing');
		// Signed in and working: the dashboard, the offerings.
		await page.goto('/offerings');
		await expect(page.getByTestId('offering').first()).toBeVisible();
		await expect(banner).toBeVisible();
		await page.setViewportSize({ width: 1280, height: 720 });
		await page.screenshot({ path: 'e2e/screenshots/confirm-banner-desktop.png' });
		await page.setViewportSize({ width: 375, height: 720 });
		await page.screenshot({ path: 'e2e/screenshots/confirm-banner-phone.png' });
		await page.setViewportSize({ width: 1280, height: 720 });

		// The banner's button, by keyboard: sign-up sent a link a moment ago, so not yet.
		await banner.getByRole('button', { name: 'Email me a new link' }).focus();
		await page.keyboard.press('Enter');
		await expect(page).toHaveURL(/\/confirm-email/);
		await expect(page.getByRole('alert')).toContainText(
			'We sent an email to this address a moment ago'
		);

		// The link from the email the app sent: it asks first, then confirms.
		await expect.poll(() => confirmationLink(fake, address), { timeout: 15_000 }).not.toBeNull();
		const link = confirmationLink(fake, address)!;
		await page.goto(link);
		await expect(page.getByRole('heading', { name: 'Confirm your email address' })).toBeVisible();
		await expect(page.locator('main').getByText(address)).toBeVisible();
		await expect(page.getByTestId('confirm-email-banner')).toHaveCount(0);
		await page.screenshot({ path: 'e2e/screenshots/confirm-link-desktop.png' });
		await page.getByRole('button', { name: 'Confirm my email address' }).click();
		await expect(
			page.getByRole('heading', { name: 'Your email address is confirmed' })
		).toBeVisible();
		await page.goto('/dashboard');
		await expect(page.getByTestId('current-user')).toHaveText('Cora Confirm');
		await expect(page.getByTestId('confirm-email-banner')).toHaveCount(0);

		// Once only.
		await page.goto(link);
		await expect(
			page.getByRole('heading', { name: 'This link cannot confirm an address' })
		).toBeVisible();

		// In another browser the password works now.
		const other = await browser.newContext();
		await new AuthPages(await other.newPage()).logIn(address, 'a long enough password');
		await other.close();
		await context.close();
	} finally {
		await fake.close();
	}
});
