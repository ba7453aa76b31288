import { expect, test, type Page } from '@playwright/test';
import { startFakeResend } from '../tests/helpers/fake-resend';
import { E2E_RESEND_PORT } from './env';
import { AuthPages, confirmEmailAddress, publishOffering } from './pages';

// The assistant's settings per offering (keyboard, no JavaScript, 1280 and 375 px), the language
// setting, and the "Draft a reply" bar over a scrolled conversation.

const SIZES = [
	['1280', { width: 1280, height: 800 }],
	['375', { width: 375, height: 740 }]
] as const;
// A phone with its keyboard open: the least room the conversation has.
const SHORT_PHONE = { width: 375, height: 420 };

/** The tools bar ends where the message list begins, at any scroll position. */
async function toolsClearOfMessages(page: Page) {
	const tools = page.getByRole('group', { name: 'Assistant' });
	const scroller = page.getByRole('region', { name: /^Messages with/ });
	const toolsBox = (await tools.boundingBox())!;
	const draftBox = (await tools.getByRole('button', { name: 'Draft a reply' }).boundingBox())!;
	const listBox = (await scroller.boundingBox())!;
	// Whatever is drawn just under the bar's top edge of the list is the list's, not the bar's.
	const topOfList = await page.evaluate(
		([x, y]) => {
			const hit = document.elementFromPoint(x!, y!);
			return hit?.closest('[role="region"]') !== null;
		},
		[listBox.x + 20, listBox.y + 2]
	);
	return {
		overlap: Math.max(0, toolsBox.y + toolsBox.height - listBox.y),
		// The button sat flush on the list's top edge, the scrolled messages cut off right under
		// it: it read as lying over the list. Now the bar ends with room and a rule of its own.
		gapUnderButton: listBox.y - (draftBox.y + draftBox.height) >= 4,
		topOfList
	};
}

test('the Draft a reply bar never covers the top of a scrolled message list', async ({ page }) => {
	await new AuthPages(page).logIn('renter@example.com');
	for (const [name, size] of [...SIZES, ['375-short', SHORT_PHONE] as const]) {
		await page.setViewportSize(size);
		await page.goto('/dashboard/rentals/00000000-0000-4000-8000-000000000303/messages');
		await page.locator('html[data-hydrated]').waitFor();
		await expect(page.getByTestId('message').first()).toBeVisible();
		const scroller = page.getByRole('region', { name: /^Messages with/ });
		await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight / 3));
		expect(await toolsClearOfMessages(page), name).toEqual({
			overlap: 0,
			gapUnderButton: true,
			topOfList: true
		});
		await page.screenshot({ path: `e2e/screenshots/conversation-draft-bar-${name}.png` });
	}
});

test('an offering gets its own assistant, from the keyboard and without JavaScript', async ({
	browser
}) => {
	const stamp = `${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
	const email = `nora-${stamp}@example.com`;
	const context = await browser.newContext();
	const page = await context.newPage();
	const noJs = await browser.newContext({ javaScriptEnabled: false });
	const plain = await noJs.newPage();
	// Nora logs in with her password later: her address is confirmed first, from the email.
	const resend = await startFakeResend(E2E_RESEND_PORT);
	try {
		await new AuthPages(page).signUp('Nora Provider', email, 'a long enough password');
		await confirmEmailAddress(page, resend, email);
		await publishOffering(page, `Kayak ${stamp}`);
		await page.goto('/dashboard/settings');
		const defaults = page.locator('section', { hasText: 'Assistant (for your rentals)' });
		await defaults.getByRole('link', { name: `Kayak ${stamp}` }).click();
		await expect(page).toHaveURL(/\/dashboard\/offerings\/[0-9a-f-]{36}#assistant$/);
		const offeringUrl = page.url();
		await page.locator('html[data-hydrated]').waitFor();

		// Keyboard only: the mode radios with the arrow keys, the fields with Tab, Enter saves.
		const section = page.locator('section#assistant');
		await expect(section.getByTestId('effective-mode')).toHaveText('off');
		await section.getByRole('radio', { name: /^Like my default/ }).focus();
		for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowDown');
		await expect(section.getByRole('radio', { name: /^Auto/ })).toBeChecked();
		await page.keyboard.press('Tab');
		await expect(section.getByLabel(/^Facts about this offering/)).toBeFocused();
		await page.keyboard.type('Paddles are in the boathouse.');
		await page.keyboard.press('Tab');
		await page.keyboard.press('Tab');
		await expect(section.getByRole('spinbutton', { name: /answers after/ })).toBeFocused();
		await page.keyboard.type('3');
		await page.keyboard.press('Tab');
		await expect(section.getByRole('button', { name: 'Save for this offering' })).toBeFocused();
		await page.keyboard.press('Enter');
		await expect(section.getByRole('status')).toContainText(
			'the assistant is auto for this offering'
		);
		await expect(section.getByTestId('effective-mode')).toHaveText('auto');
		await expect(section.getByLabel(/^Facts about this offering/)).toHaveValue(
			'Paddles are in the boathouse.'
		);

		for (const [name, size] of SIZES) {
			await page.setViewportSize(size);
			await page.goto(offeringUrl);
			await section.scrollIntoViewIfNeeded();
			expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
				size.width
			);
			await section.screenshot({ path: `e2e/screenshots/offering-assistant-${name}.png` });
			await page.goto('/dashboard/settings');
			const list = page.getByRole('list', { name: 'Per offering' });
			await expect(list).toContainText(`Kayak ${stamp}`);
			await expect(list).toContainText('auto, after 3 min');
			await expect(list).toContainText('its own settings');
			expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
				size.width
			);
			await page
				.locator('section', { hasText: 'Assistant (for your rentals)' })
				.screenshot({ path: `e2e/screenshots/settings-assistant-${name}.png` });
			await page
				.locator('section', { hasText: 'Assistant language' })
				.screenshot({ path: `e2e/screenshots/settings-language-${name}.png` });
		}

		// Without JavaScript: the same forms post and the page answers.
		await new AuthPages(plain, false).logIn(email, 'a long enough password');
		await plain.goto(offeringUrl.replace(/#.*$/, ''));
		const plainSection = plain.locator('section#assistant');
		await plainSection.getByRole('radio', { name: /^Draft/ }).check();
		await plainSection.getByRole('button', { name: 'Save for this offering' }).click();
		await expect(plain.locator('section#assistant').getByRole('status')).toContainText(
			'the assistant is draft for this offering'
		);
		await plain
			.locator('section#assistant')
			.getByRole('button', { name: 'Use my default settings here' })
			.click();
		await expect(plain.locator('section#assistant').getByRole('status')).toContainText(
			'uses your default settings again (off)'
		);
		await expect(plain.locator('section#assistant').getByLabel(/^Facts about/)).toHaveValue('');

		// The language: a setting, or the browser's again.
		await plain.goto('/dashboard/settings');
		const language = plain.locator('section', { hasText: 'Assistant language' });
		await language.getByLabel('Language').selectOption({ label: 'French' });
		await language.getByRole('button', { name: 'Save language' }).click();
		await expect(
			plain.locator('section', { hasText: 'Assistant language' }).getByRole('status')
		).toContainText('Saved: French');
		await expect(
			plain.locator('section', { hasText: 'Assistant language' }).getByLabel('Language')
		).toHaveValue('fr');
	} finally {
		await noJs.close();
		await context.close();
		await resend.close();
	}
});
