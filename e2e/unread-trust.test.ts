import { expect, test, type Page } from '@playwright/test';
import { ConversationPage, RentalPage, badge, twoParties } from './pages';

// Regression tests for the defects of issue 12, one test per defect, two people in two contexts
// where it matters. Each asserts what the person would see (or the server would say).

const unreadCount = (page: Page) =>
	page.evaluate(async () => (await (await fetch('/api/messages/unread-count')).json()).count);

async function sendAndWait(chat: ConversationPage, text: string) {
	await chat.send(text);
	await expect(chat.lastMessage()).toContainText(text);
	await expect(chat.lastMessage()).not.toContainText('Sending');
}

async function openFromInbox(page: Page) {
	await page.goto('/dashboard/messages');
	await page.getByTestId('thread-item').first().click();
	await expect(page.getByLabel('Message', { exact: true })).toBeVisible();
}

test('1. hovering a conversation in the inbox does not mark it read', async ({ browser }) => {
	const { provider, renter, close } = await twoParties(browser, 'Hover');
	await new ConversationPage(renter).send('Are you there?');
	await expect(new ConversationPage(renter).lastMessage()).not.toContainText('Sending');
	await provider.goto('/dashboard/messages');
	const row = provider.getByTestId('thread-item').first();
	await row.hover();
	// The preload on hover runs the conversation's load; give it time to do its worst.
	await provider.waitForTimeout(1500);
	expect(await unreadCount(provider)).toBe(1);
	await expect(badge(provider)).toHaveText('1');
	await renter.reload();
	await expect(renter.getByTestId('seen')).toHaveCount(0);
	// Opening it does.
	await row.click();
	await expect.poll(() => unreadCount(provider)).toBe(0);
	await expect(renter.getByTestId('seen')).toBeVisible();
	await close();
});

test('2. typing goes on in the message box after Enter sends', async ({ browser }) => {
	const { renter, close } = await twoParties(browser, 'Focus');
	const chat = new ConversationPage(renter);
	await chat.composer().fill('First line');
	await chat.composer().press('Enter');
	await expect(chat.lastMessage()).toContainText('First line');
	await expect(chat.lastMessage()).not.toContainText('Sending');
	await renter.keyboard.type('and more');
	await expect(chat.composer()).toHaveValue('and more');
	await expect(chat.composer()).toBeFocused();
	await close();
});

test('3. on the inbox, the badge, the title and the list agree with the server', async ({
	browser
}) => {
	const { provider, renter, close } = await twoParties(browser, 'Badge');
	await provider.goto('/dashboard/messages');
	const chat = new ConversationPage(renter);
	for (const text of ['one', 'two', 'three']) {
		await chat.send(text);
		await expect(chat.lastMessage()).toContainText(text);
		await expect(chat.lastMessage()).not.toContainText('Sending');
	}
	await expect(badge(provider)).toHaveText('3');
	await expect(provider).toHaveTitle(/^\(3\) /);
	await expect(provider.getByTestId('thread-item').first().getByTestId('unread-badge')).toHaveText(
		'3'
	);
	// And it stays so: no late reload of older data takes it back.
	await provider.waitForTimeout(1500);
	await expect(badge(provider)).toHaveText('3');
	await expect(provider).toHaveTitle(/^\(3\) /);
	expect(await unreadCount(provider)).toBe(3);
	await close();
});

test('4. the "New messages" divider stays while the conversation is open', async ({ browser }) => {
	const { provider, renter, close } = await twoParties(browser, 'Divider');
	const chat = new ConversationPage(renter);
	await chat.send('Hello');
	await chat.send('Are you there?');
	await expect(chat.lastMessage()).not.toContainText('Sending');
	await openFromInbox(provider);
	await expect(provider.getByTestId('new-messages')).toBeVisible();
	await expect.poll(() => unreadCount(provider)).toBe(0);
	await provider.waitForTimeout(1000);
	await expect(provider.getByTestId('new-messages')).toBeVisible();
	await close();
});

test('5. my own status change is not unread for me', async ({ browser }) => {
	const { provider, renter, close } = await twoParties(browser, 'Accept');
	await new ConversationPage(renter).send('Can I rent it?');
	await expect(new ConversationPage(renter).lastMessage()).not.toContainText('Sending');
	// Away from the conversation, so that nothing reads it for the renter.
	await renter.goto('/dashboard');
	await openFromInbox(provider);
	await provider.goto(provider.url().replace(/\/messages$/, ''));
	await new RentalPage(provider).act('Accept request');
	await expect(new RentalPage(provider).status()).toHaveText('active');
	expect(await unreadCount(provider)).toBe(0);
	await provider.goto(`${provider.url()}/messages`);
	await expect(provider.getByTestId('system-message')).toContainText('accepted the rental');
	await expect(provider.getByTestId('new-messages')).toHaveCount(0);
	await expect.poll(() => unreadCount(renter)).toBe(1);
	await close();
});

test('6. the Unread filter shows only unread conversations after "Load more" on All', async ({
	browser
}) => {
	test.setTimeout(120_000);
	const { provider, renter, offeringId, close } = await twoParties(browser, 'Many');
	// 22 more rentals of the same offering, each with a message (22 conversations: the first
	// rental has none); the provider reads the 18 oldest, which "Load more" brings on All.
	const contractIds = await renter.evaluate(async (offeringId) => {
		const ids: string[] = [];
		for (let i = 0; i < 22; i++) {
			const headers = { 'content-type': 'application/json' };
			const contract = await (
				await fetch('/api/contracts', {
					method: 'POST',
					headers,
					body: JSON.stringify({ offeringId })
				})
			).json();
			await fetch(`/api/contracts/${contract.id}/messages`, {
				method: 'POST',
				headers,
				body: JSON.stringify({ body: `Rental ${i}` })
			});
			ids.push(contract.id);
		}
		return ids;
	}, offeringId);
	await provider.evaluate(async (ids) => {
		for (const id of ids.slice(0, 18))
			await fetch(`/api/contracts/${id}/thread/read`, { method: 'PUT' });
	}, contractIds);
	await provider.goto('/dashboard/messages');
	await provider.getByRole('link', { name: 'Load more' }).click();
	await expect(provider.getByTestId('thread-item')).toHaveCount(22);
	await provider.getByRole('link', { name: 'Unread', exact: true }).click();
	await expect(provider).toHaveURL(/unread=true/);
	const rows = provider.getByTestId('thread-item');
	await expect(rows).toHaveCount(4);
	for (const row of await rows.all()) await expect(row).toHaveClass(/unread/);
	await close();
});

test('8. a long incoming message is followed when I am at the end', async ({ browser }) => {
	const { provider, renter, close } = await twoParties(browser, 'Long');
	const chat = new ConversationPage(renter);
	for (let i = 1; i <= 12; i++) await sendAndWait(chat, `Message ${i}`);
	await expect(chat.lastMessage()).toContainText('Message 12');
	await expect(chat.lastMessage()).not.toContainText('Sending');
	await openFromInbox(provider);
	await new ConversationPage(provider).send(`${'A long answer. '.repeat(66)}The end.`);
	const last = chat.lastMessage();
	await expect(last).toContainText('The end.');
	// Followed to its very end, not left with the top of it in view.
	const scroller = renter.locator('.scroller');
	await expect
		.poll(() => scroller.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight))
		.toBeLessThan(8);
	// Scrolled up, the next one is counted instead, with a way back.
	await scroller.evaluate((el) => (el.scrollTop = 0));
	await new ConversationPage(provider).send('One more');
	const jump = renter.getByRole('button', { name: /1 new message/ });
	await expect(jump).toBeVisible();
	await jump.click();
	await expect(chat.lastMessage()).toBeInViewport();
	await close();
});

test('9. on a phone with the keyboard open the messages and Send stay usable', async ({
	browser
}) => {
	const { renter, close } = await twoParties(browser, 'Phone');
	await renter.setViewportSize({ width: 375, height: 476 });
	await renter.reload();
	const send = renter.getByRole('button', { name: 'Send' });
	await expect(send).toBeInViewport({ ratio: 1 });
	const scroller = renter.getByRole('region', { name: /Messages with/ });
	const box = (await scroller.boundingBox())!;
	expect(box.height).toBeGreaterThanOrEqual(180);
	expect(
		await renter.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)
	).toBe(true);
	await renter.screenshot({ path: 'e2e/screenshots/conversation-phone-keyboard.png' });
	await close();
});

test('10. the keyboard reaches the messages and the message box, and the inbox shows focus', async ({
	browser
}) => {
	const { provider, renter, close } = await twoParties(browser, 'Keys');
	const chat = new ConversationPage(renter);
	for (let i = 1; i <= 15; i++) await sendAndWait(chat, `Line ${i}`);
	await expect(chat.lastMessage()).not.toContainText('Sending');
	await renter.reload();
	// The message box is ready to type in.
	await expect(chat.composer()).toBeFocused();
	// The message list scrolls with the keyboard.
	const scroller = renter.getByRole('region', { name: /Messages with/ });
	await scroller.focus();
	const before = await scroller.evaluate((el) => el.scrollTop);
	await renter.keyboard.press('Home');
	await expect.poll(() => scroller.evaluate((el) => el.scrollTop)).toBeLessThan(before);
	// Inbox: the focus ring is drawn inside the row, where the list cannot clip it.
	await provider.goto('/dashboard/messages');
	const row = provider.getByTestId('thread-item').first();
	await row.focus();
	const offset = await row.evaluate((el) => parseFloat(getComputedStyle(el).outlineOffset));
	expect(offset).toBeLessThan(0);
	await close();
});

test('11. right-to-left text is laid out right to left', async ({ browser }) => {
	const { renter, close } = await twoParties(browser, 'RTL');
	const chat = new ConversationPage(renter);
	await chat.send('مرحبا، هل هو متاح يوم السبت؟');
	const body = chat.lastMessage().locator('.body');
	await expect(body).toHaveAttribute('dir', 'auto');
	// Polled: the sent bubble is replaced by the stored message, and a detached node has no style.
	await expect.poll(() => body.evaluate((el) => getComputedStyle(el).direction)).toBe('rtl');
	await close();
});

test('12. without JavaScript, the message just sent is in view and no Enter hint is shown', async ({
	browser
}) => {
	const { renter, close } = await twoParties(browser, 'NoJS', { renterJs: false });
	const chat = new ConversationPage(renter);
	await expect(renter.getByText('Enter to send')).toHaveCount(0);
	for (let i = 1; i <= 14; i++) {
		await chat.composer().fill(`Plain form message ${i}`);
		await renter.getByRole('button', { name: 'Send' }).click();
		await expect(chat.lastMessage()).toContainText(`Plain form message ${i}`);
	}
	await expect(chat.lastMessage()).toBeInViewport();
	await close();
});
