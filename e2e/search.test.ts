import { expect, test, type Page } from '@playwright/test';
import { AuthPages, twoParties } from './pages';

/** The inbox's search box and the results page. */
class SearchPages {
	constructor(private readonly page: Page) {}

	box() {
		return this.page.getByRole('searchbox', { name: 'Search messages' });
	}

	dropdownHits() {
		return this.page.getByTestId('search-dropdown').getByTestId('search-hit');
	}

	resultHits() {
		return this.page.getByTestId('search-messages').getByTestId('search-hit');
	}
}

/** Posts messages through the JSON API with the page's session, a few at a time. */
async function postMany(page: Page, contractId: string, bodies: string[]) {
	for (let i = 0; i < bodies.length; i += 10) {
		await Promise.all(
			bodies.slice(i, i + 10).map(async (body) => {
				const response = await page.request.post(`/api/contracts/${contractId}/messages`, {
					data: { body }
				});
				expect(response.status()).toBe(201);
			})
		);
	}
}

test('search from the inbox opens a message 500 back, in view and highlighted', async ({
	browser
}) => {
	test.setTimeout(240_000);
	const { provider, renter, close } = await twoParties(browser, 'Search ladder');
	await renter.waitForURL(/\/rentals\/[0-9a-f-]{36}\/messages/);
	const contractId = renter.url().match(/rentals\/([0-9a-f-]{36})\/messages/)![1]!;
	const word = `heliotrope${Date.now().toString(36)}`;
	// What looks like HTML must come back as text, with only the word marked.
	const target = `The key safe is behind the <mark>blue</mark> door: ${word} <script>window.__searchXss = 1</script>`;
	await postMany(renter, contractId, [target]);
	await postMany(
		renter,
		contractId,
		Array.from({ length: 500 }, (_, i) => `Filler message number ${i + 1} about nothing much`)
	);

	const search = new SearchPages(provider);
	await provider.goto('/dashboard/messages');
	await provider.locator('html[data-hydrated]').waitFor();
	// `/` from anywhere on the page, then the word's beginning: results as you type.
	await provider.locator('body').press('/');
	await expect(search.box()).toBeFocused();
	await search.box().pressSequentially(word.slice(0, 12), { delay: 20 });
	const hit = search.dropdownHits().first();
	await expect(hit).toContainText('Tom Renter');
	await expect(hit.locator('mark')).toHaveText([word]);
	await expect(hit).toContainText('<mark>blue</mark>');
	await provider.screenshot({ path: 'e2e/screenshots/search-box-1280.png' });
	// Escape closes the results, from a result or from the box, and keeps what was typed.
	await search.box().press('ArrowDown');
	await expect(hit).toBeFocused();
	await provider.keyboard.press('Escape');
	await expect(provider.getByTestId('search-dropdown')).toHaveCount(0);
	await expect(search.box()).toBeFocused();
	await expect(search.box()).toHaveValue(word.slice(0, 12));
	await search.box().press(word[12]!);
	await expect(hit).toBeVisible();
	await search.box().press('Escape');
	await expect(provider.getByTestId('search-dropdown')).toHaveCount(0);
	await expect(search.box()).toHaveValue(word.slice(0, 13));
	await search.box().press(word[13]!);

	await hit.click();
	await expect(provider).toHaveURL(/\?around=[0-9a-f-]{36}#message-/);
	const messageId = provider.url().split('#message-')[1]!;
	const item = provider.locator(`#message-${messageId}`);
	await expect(item).toBeInViewport();
	await expect(item).toHaveAttribute('data-highlighted', '');
	await expect(item).toContainText(word);
	// Focus is on the message that was chosen, not in the message box.
	await expect(item).toBeFocused();
	// Centred in the list, not left at its top edge (where SvelteKit's own jump to the link's
	// #message-<id> puts it when focus is left to SvelteKit).
	const gap = await item.evaluate((li) => {
		const list = li.closest('.scroller')!;
		return li.getBoundingClientRect().top - list.getBoundingClientRect().top;
	});
	expect(gap).toBeGreaterThan(20);
	// The conversation's header stays in place: only the message list scrolled, not the page or
	// any frame around the list.
	await expect(provider.getByRole('heading', { name: 'Tom Renter' })).toBeInViewport();
	const scrolledAround = await item.evaluate((li) => {
		const scrolled: string[] = [];
		for (let node = li.closest('.scroller')!.parentElement; node; node = node.parentElement) {
			if (node.scrollTop !== 0)
				scrolled.push(`${node.tagName}.${node.className}: ${node.scrollTop}`);
		}
		if (window.scrollY !== 0) scrolled.push(`window: ${window.scrollY}`);
		return scrolled;
	});
	expect(scrolledAround).toEqual([]);
	await provider.screenshot({ path: 'e2e/screenshots/search-opened-message-1280.png' });
	// 500 newer messages are not all on this page: it was opened in the past.
	await expect(provider.getByRole('link', { name: 'Load newer messages' })).toBeVisible();
	await expect(provider.getByText('Filler message number 500')).toHaveCount(0);
	expect(await provider.evaluate(() => (window as { __searchXss?: number }).__searchXss)).toBe(
		undefined
	);

	// Newer pages go on from there, up to the newest.
	for (let page = 0; page < 20; page++) {
		const newer = provider.getByRole('link', { name: 'Load newer messages' });
		if ((await newer.count()) === 0) break;
		await newer.click();
		await provider.waitForLoadState('load');
	}
	await expect(provider.getByText('Filler message number 500 about nothing much')).toBeVisible();
	await expect(provider.getByRole('link', { name: 'Load newer messages' })).toHaveCount(0);

	// The results page: the same search, its URL a link that works as it is.
	await provider.goto(`/dashboard/messages/search?q=${word}`);
	await expect(search.resultHits()).toHaveCount(1);
	await expect(search.resultHits().first().locator('mark')).toHaveText([word]);
	for (const [name, size] of [
		['1280', { width: 1280, height: 800 }],
		['375', { width: 375, height: 740 }]
	] as const) {
		await provider.setViewportSize(size);
		await provider.goto('/dashboard/messages/search?q=number%2012');
		await expect(search.resultHits().first()).toBeVisible();
		await provider.screenshot({ path: `e2e/screenshots/search-results-${name}.png` });
	}
	await close();
});

test('the results page keeps every letter typed while its results follow, and its filters open', async ({
	page
}) => {
	await new AuthPages(page).logIn('provider@example.com');
	await page.goto('/dashboard/messages/search');
	await page.locator('html[data-hydrated]').waitFor();
	const box = page.getByRole('searchbox', { name: 'Search messages' });
	// Each pause longer than the debounce (300 ms) sends a search, and its answer comes back after
	// the next key (150 ms late, as on a slow connection): what was typed meanwhile must stay.
	// Before the fix this typed "grg do cd".
	await page.route('**/__data.json**', async (route) => {
		await new Promise((resolve) => setTimeout(resolve, 150));
		await route.continue();
	});
	await box.pressSequentially('garage door code', { delay: 350 });
	await expect(page).toHaveURL(/q=garage\+door\+code/);
	await expect(box).toHaveValue('garage door code');

	// Clearing the last filter leaves the panel open and the focus where it was.
	await page.getByText('Filters').click();
	const files = page.getByLabel('Only with attachments');
	await files.check();
	await expect(page).toHaveURL(/has=attachments/);
	await files.uncheck();
	await expect(page).not.toHaveURL(/has=attachments/);
	await expect(files).toBeVisible();
	await expect(files).toBeFocused();
});

test('the results page and the conversation work without JavaScript', async ({ browser }) => {
	const context = await browser.newContext({ javaScriptEnabled: false });
	const page = await context.newPage();
	await new AuthPages(page, false).logIn('provider@example.com');
	await page.goto('/dashboard/messages');
	await page.getByRole('searchbox', { name: 'Search messages' }).fill('the');
	await page.getByRole('button', { name: 'Search' }).click();
	await expect(page).toHaveURL(/\/dashboard\/messages\/search\?q=the/);
	const hits = page.getByTestId('search-messages').getByTestId('search-hit');
	await expect(hits.first()).toBeVisible();
	const href = (await hits.first().getAttribute('href'))!;
	await hits.first().click();
	await expect(page).toHaveURL(/\?around=[0-9a-f-]{36}#message-/);
	const opened = page.locator(`#message-${href.split('#message-')[1]}`);
	await expect(opened).toBeVisible();
	// Marked without a script too (:target).
	await expect(opened).not.toHaveCSS('background-color', 'rgba(0, 0, 0, 0)');

	// A query that only leaves words out is explained, not run.
	await page.goto('/dashboard/messages/search?q=-door');
	await expect(page.getByRole('alert')).toContainText('Say what to search for');
	// So is one of only spaces (the box's `required` lets them through).
	await page.goto('/dashboard/messages/search?q=+++');
	await expect(page.getByRole('alert')).toContainText('Type something to search for');
	await context.close();
});

test('the attachments filter finds the message that carries a file, and names the file', async ({
	browser
}) => {
	const { provider, renter, close } = await twoParties(browser, 'Search files');
	await renter.waitForURL(/\/rentals\/[0-9a-f-]{36}\/messages/);
	const contractId = renter.url().match(/rentals\/([0-9a-f-]{36})\/messages/)![1]!;
	const word = `handbook${Date.now().toString(36)}`;
	// A form post from the page's own origin, as the composer's upload is.
	const upload = await renter.request.post(`/api/contracts/${contractId}/attachments`, {
		headers: { origin: new URL(renter.url()).origin },
		multipart: {
			file: {
				name: 'manual.pdf',
				mimeType: 'application/pdf',
				buffer: Buffer.from(
					'%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
					'latin1'
				)
			}
		}
	});
	expect(upload.status()).toBe(201);
	const { id } = (await upload.json()) as { id: string };
	for (const data of [
		{ body: `The ${word} is attached`, attachmentIds: [id] },
		{ body: `Did you read the ${word}?` }
	]) {
		const response = await renter.request.post(`/api/contracts/${contractId}/messages`, { data });
		expect(response.status()).toBe(201);
	}

	const hits = provider.getByTestId('search-messages').getByTestId('search-hit');
	await provider.goto(`/dashboard/messages/search?q=${word}`);
	await expect(hits).toHaveCount(2);
	await provider.getByText('Filters').click();
	await provider.getByLabel('Only with attachments').check();
	await expect(provider).toHaveURL(/has=attachments/);
	await expect(hits).toHaveCount(1);
	await expect(hits.first()).toContainText('File: manual.pdf');
	await expect(hits.first()).toContainText('is attached');
	await provider.screenshot({ path: 'e2e/screenshots/search-files-1280.png' });
	await provider.setViewportSize({ width: 375, height: 740 });
	await provider.reload();
	await expect(hits).toHaveCount(1);
	await provider.screenshot({ path: 'e2e/screenshots/search-files-375.png' });
	await close();
});
