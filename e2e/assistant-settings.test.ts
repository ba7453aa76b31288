import { expect, test, type Page } from '@playwright/test';
import { AuthPages, publishOffering } from './pages';

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
