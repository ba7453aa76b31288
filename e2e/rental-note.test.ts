import { expect, test, type Browser } from '@playwright/test';
import {
	AuthPages,
	ConversationPage,
	badge,
	publishOffering,
	rentAndOpenConversation
} from './pages';

// Renting takes an optional first message to the provider, which opens the conversation.

async function providerWithOffering(browser: Browser, stamp: string) {
	const context = await browser.newContext();
	const page = await context.newPage();
	await new AuthPages(page).signUp(
		'Nora Provider',
		`nora-${stamp}@example.com`,
		'a long enough password'
	);
	const offering = `Tent ${stamp}`;
	await publishOffering(page, offering);
	return { context, page, offering };
}

test('a note with the rental request opens the conversation; the provider sees it in the inbox', async ({
	browser
}) => {
	test.setTimeout(90_000);
	const stamp = `${Date.now()}`;
	const provider = await providerWithOffering(browser, stamp);
	const renterContext = await browser.newContext();
	const renter = await renterContext.newPage();
	await new AuthPages(renter).signUp(
		'Ruth Renter',
		`ruth-${stamp}@example.com`,
		'a long enough password'
	);
	await rentAndOpenConversation(
		renter,
		provider.offering,
		'Nora Provider',
		'Hi Nora! Could I pick the tent up on Friday evening?'
	);
	const chat = new ConversationPage(renter);
	await expect(chat.messages()).toHaveCount(1);
	await expect(chat.lastMessage()).toContainText('Could I pick the tent up on Friday evening?');

	await provider.page.goto('/dashboard/messages');
	await expect(badge(provider.page)).toHaveText('1');
	const item = provider.page.getByTestId('thread-item').first();
	await expect(item).toContainText('Ruth Renter');
	await expect(item).toContainText('Could I pick the tent up on Friday evening?');
	await expect(item).toHaveClass(/unread/);
	await renterContext.close();
	await provider.context.close();
});

test('the note works without JavaScript, and a note that is too long is refused and kept', async ({
	browser
}) => {
	test.setTimeout(90_000);
	const stamp = `${Date.now()}`;
	const provider = await providerWithOffering(browser, stamp);
	const renterContext = await browser.newContext({ javaScriptEnabled: false });
	const renter = await renterContext.newPage();
	await new AuthPages(renter, false).signUp(
		'Ned NoScript',
		`ned-${stamp}@example.com`,
		'a long enough password'
	);
	await renter.goto('/offerings');
	const card = renter.getByTestId('offering').filter({ hasText: provider.offering });
	const note = card.getByLabel('Message to the provider');

	const tooLong = 'x'.repeat(10_001);
	await note.fill(tooLong);
	await card.getByRole('button', { name: /Rent/ }).click();
	await expect(card.getByRole('alert')).toContainText('at most 10,000 characters');
	await expect(note).toHaveValue(tooLong);
	await expect(note).toHaveAttribute('aria-invalid', 'true');

	await note.fill('Sent without JavaScript: is a sleeping mat included?');
	await card.getByRole('button', { name: /Rent/ }).click();
	await expect(renter).toHaveURL(/\/dashboard\/rentals\/[0-9a-f-]{36}$/);
	await renter.getByRole('link', { name: /Messages with Nora Provider/ }).click();
	await expect(new ConversationPage(renter).lastMessage()).toContainText(
		'is a sleeping mat included?'
	);
	// Refused once, stored once: one rental, one message.
	await renter.goto('/dashboard/rentals');
	await expect(
		renter.getByTestId('contract-row').filter({ hasText: provider.offering })
	).toHaveCount(1);
	await renterContext.close();
	await provider.context.close();
});
