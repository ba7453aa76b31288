import { expect, test } from '@playwright/test';
import {
	AuthPages,
	ConversationPage,
	badge,
	publishOffering,
	rentAndOpenConversation
} from './pages';

// The UI refreshes every 15 s while live updates do not exist; allow one interval and a margin.
const REFRESH = { timeout: 25_000 };

test('renter and provider talk in the contract’s conversation', async ({ browser }) => {
	test.setTimeout(150_000);
	const stamp = Date.now();
	const providerContext = await browser.newContext();
	const renterContext = await browser.newContext();
	const provider = await providerContext.newPage();
	const renter = await renterContext.newPage();

	await new AuthPages(provider).signUp(
		'Nina Provider',
		`nina-${stamp}@example.com`,
		'a long enough password'
	);
	const offeringName = `Moving van ${stamp}`;
	await publishOffering(provider, offeringName, 'A van for weekend moves.');
	await provider.goto('/dashboard');
	await expect(badge(provider)).toHaveCount(0);

	await new AuthPages(renter).signUp(
		'Rob Renter',
		`rob-${stamp}@example.com`,
		'a long enough password'
	);
	await rentAndOpenConversation(renter, offeringName, 'Nina Provider');
	await expect(renter.getByText('No messages yet.')).toBeVisible();
	const renterChat = new ConversationPage(renter);
	await renterChat.send('Hi Nina! Is the van free on Saturday?\nI need it from 9:00.');
	await expect(renterChat.lastMessage()).toContainText('Is the van free on Saturday?');
	await expect(renterChat.lastMessage()).not.toContainText('Sending');
	await expect(renterChat.composer()).toHaveValue('');

	// The provider's badge and tab title pick it up within the refresh interval.
	await expect(badge(provider)).toHaveText('1', REFRESH);
	await expect(provider).toHaveTitle(/^\(1\) /);
	await provider
		.getByRole('link', { name: /Messages/ })
		.first()
		.click();
	const item = provider.getByTestId('thread-item').first();
	await expect(item).toContainText('Rob Renter');
	await expect(item).toContainText('Is the van free on Saturday?');
	await expect(item).toHaveClass(/unread/);
	await item.click();
	await expect(provider.getByTestId('new-messages')).toBeVisible();
	await expect(badge(provider)).toHaveCount(0);
	await expect(provider).toHaveTitle(/^(?!\()/);

	// The renter sees that it was read.
	await expect(renter.getByTestId('seen')).toBeVisible(REFRESH);

	const providerChat = new ConversationPage(provider);
	await providerChat.send('Yes, it is free. Pick it up at https://example.com/depot');
	await expect(renterChat.lastMessage()).toContainText('Yes, it is free.', REFRESH);
	const link = renterChat.lastMessage().getByRole('link', { name: 'https://example.com/depot' });
	await expect(link).toHaveAttribute('rel', 'noopener noreferrer nofollow');
	await expect(link).toHaveAttribute('target', '_blank');

	await renterContext.close();
	await providerContext.close();
});

test('a stranger gets the 404 page for a conversation', async ({ page }) => {
	await new AuthPages(page).logIn('other@example.com');
	await page.goto('/dashboard/rentals/00000000-0000-4000-8000-000000000301/messages');
	await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
});

test('the composer sends with JavaScript disabled', async ({ browser }) => {
	const context = await browser.newContext({ javaScriptEnabled: false });
	const page = await context.newPage();
	await new AuthPages(page, false).logIn('renter@example.com');
	await page.goto('/dashboard/rentals/00000000-0000-4000-8000-000000000401/messages');
	const text = `Sent without JavaScript ${Date.now()}`;
	await page.getByLabel('Message', { exact: true }).fill(text);
	await page.getByRole('button', { name: 'Send' }).click();
	// Post/redirect/get, to the message just sent.
	await expect(page).toHaveURL(/\/messages#message-[0-9a-f-]{36}$/);
	await expect(page.getByTestId('message').last()).toContainText(text);
	await context.close();
});

test('a message over 10,000 characters shows the error and keeps the text', async ({ page }) => {
	await new AuthPages(page).logIn('renter@example.com');
	await page.goto('/dashboard/rentals/00000000-0000-4000-8000-000000000402/messages');
	const chat = new ConversationPage(page);
	const before = await chat.messages().count();
	const text = 'x'.repeat(10_001);
	await chat.composer().fill(text);
	await expect(page.getByTestId('char-counter')).toHaveText('10,001 / 10,000');
	await page.getByRole('button', { name: 'Send' }).click();
	await expect(page.getByRole('alert')).toContainText('at most 10,000 characters');
	await expect(chat.composer()).toHaveValue(text);
	await expect(chat.messages()).toHaveCount(before);
});

test('screenshots of the inbox and a conversation, desktop and phone', async ({ page }) => {
	await new AuthPages(page).logIn('renter@example.com');
	for (const [name, size] of [
		['desktop', { width: 1280, height: 800 }],
		['phone', { width: 375, height: 740 }]
	] as const) {
		await page.setViewportSize(size);
		await page.goto('/dashboard/messages');
		await expect(page.getByTestId('thread-item').first()).toBeVisible();
		await page.screenshot({ path: `e2e/screenshots/inbox-${name}.png`, fullPage: true });
		await page.goto('/dashboard/rentals/00000000-0000-4000-8000-000000000303/messages');
		await expect(page.getByTestId('message').first()).toBeVisible();
		await page.screenshot({ path: `e2e/screenshots/conversation-${name}.png` });
	}
});
