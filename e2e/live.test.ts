import { expect, test } from '@playwright/test';
import { AuthPages, ConversationPage, badge } from './pages';

// Live updates arrive over Server-Sent Events: well inside 2 s, far from the 15 s fallback.
const LIVE = { timeout: 2_000 };

test('the provider sees the renter’s message and badge live, and who is typing', async ({
	browser
}) => {
	const renterContext = await browser.newContext();
	const providerContext = await browser.newContext();
	const renter = await renterContext.newPage();
	const provider = await providerContext.newPage();
	const conversation = '/dashboard/rentals/00000000-0000-4000-8000-000000000402/messages';

	await new AuthPages(renter).logIn('renter@example.com');
	await new AuthPages(provider).logIn('provider2@example.com');
	await provider.goto('/dashboard/messages');
	await expect(badge(provider)).toHaveCount(0);

	// The badge moves without a reload while the provider is elsewhere.
	await renter.goto(conversation);
	const renterChat = new ConversationPage(renter);
	// Base 36: a run of 13 digits in a requested rental would be masked as a phone number.
	const first = `Live one ${Date.now().toString(36)}`;
	await renterChat.send(first);
	await expect(badge(provider)).toHaveText(/^[1-9]/, LIVE);
	await expect(provider.getByTestId('thread-item').first()).toContainText(first, LIVE);

	// In the open conversation the message appears without a reload.
	await provider.goto(conversation);
	await expect(badge(provider)).toHaveCount(0);
	const providerChat = new ConversationPage(provider);
	await renterChat.composer().pressSequentially('Are you');
	await expect(provider.getByTestId('typing')).toHaveText('Rita is typing…', LIVE);
	const second = `Live two ${Date.now().toString(36)}`;
	await renterChat.composer().fill(second);
	await renterChat.composer().press('Enter');
	await expect(providerChat.lastMessage()).toContainText(second, LIVE);
	await expect(provider.getByTestId('typing')).toHaveText('');

	// The provider had it open, so it is read, and the renter sees "Seen" live.
	await expect(renter.getByTestId('seen')).toBeVisible(LIVE);

	await renterContext.close();
	await providerContext.close();
});
