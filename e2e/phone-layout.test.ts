import { expect, test, type Page } from '@playwright/test';
import { AuthPages, PUBLIC_PAGES, memberPages } from './pages';

// Defect 7: /dashboard/rentals was 719 px wide on a 375 px phone, with the price, the dates and
// the messages link off screen. No page may scroll sideways on a phone.
const PHONE = { width: 375, height: 740 };

/** The pages among `paths` that are wider than the phone, with their widths. */
async function pagesWiderThanPhone(page: Page, paths: string[]) {
	const wide: { path: string; width: number }[] = [];
	for (const path of paths) {
		await page.goto(path);
		await page.locator('html[data-hydrated]').waitFor();
		const width = await page.evaluate(() => document.documentElement.scrollWidth);
		if (width > PHONE.width) wide.push({ path, width });
	}
	return wide;
}

/** Signs in at the default size (a phone does not show who is signed in), then becomes a phone. */
async function logInOnPhone(page: Page, email: string) {
	await new AuthPages(page).logIn(email);
	await page.setViewportSize(PHONE);
}

test('no page scrolls sideways at 375 px, signed out', async ({ page }) => {
	await page.setViewportSize(PHONE);
	expect(await pagesWiderThanPhone(page, PUBLIC_PAGES)).toEqual([]);
});

for (const email of ['renter@example.com', 'provider@example.com']) {
	test(`no page scrolls sideways at 375 px, signed in as ${email}`, async ({ page }) => {
		await logInOnPhone(page, email);
		expect(await pagesWiderThanPhone(page, memberPages())).toEqual([]);
	});
}

test('the rentals list reads on a phone: every rental’s price, dates and messages link on screen', async ({
	page
}) => {
	await logInOnPhone(page, 'renter@example.com');
	await page.goto('/dashboard/rentals');
	const rows = page.getByTestId('contract-row');
	await expect(rows.first()).toBeVisible();
	for (const row of await rows.all()) {
		for (const part of [
			row.locator('td[data-label="Price"]'),
			row.locator('td[data-label="Requested"]'),
			row.locator('td[data-label="Updated"]'),
			row.getByRole('link', { name: /^Open conversation/ })
		]) {
			const box = await part.boundingBox();
			expect(box, await row.innerText()).not.toBeNull();
			expect(box!.x).toBeGreaterThanOrEqual(0);
			expect(box!.x + box!.width).toBeLessThanOrEqual(PHONE.width);
		}
	}
	await page.screenshot({ path: 'e2e/screenshots/rentals-phone.png', fullPage: true });
});
