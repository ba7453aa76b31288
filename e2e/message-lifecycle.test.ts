import { expect, test, type Page } from '@playwright/test';
import { ConversationPage, badge, twoParties } from './pages';

async function openMenu(page: Page, text: string) {
	const row = page.getByTestId('message').filter({ hasText: text });
	await row.getByLabel('Message options').click();
	return row;
}

test('an edit and a delete show up live on the other side', async ({ browser }) => {
	test.setTimeout(120_000);
	const { provider, renter, close } = await twoParties(browser, 'Cargo bike');
	const renterChat = new ConversationPage(renter);
	await renterChat.send('I will pick it up at 9');
	await expect(renterChat.lastMessage()).not.toContainText('Sending');

	await provider.goto('/dashboard/messages');
	await provider.getByTestId('thread-item').first().click();
	const providerChat = new ConversationPage(provider);
	await expect(providerChat.lastMessage()).toContainText('I will pick it up at 9');

	// Edit in place: the provider's page follows without a reload.
	await openMenu(renter, 'I will pick it up at 9');
	await renter.getByRole('link', { name: 'Edit' }).click();
	const editor = renter.getByLabel('Edit your message');
	await expect(editor).toBeFocused();
	await editor.fill('I will pick it up at 10');
	await renter.screenshot({ path: 'e2e/screenshots/message-edit-desktop.png' });
	await renter.getByRole('button', { name: 'Save' }).click();
	await expect(renterChat.lastMessage()).toContainText('I will pick it up at 10');
	await expect(renterChat.lastMessage().getByTestId('edited')).toBeVisible();
	await expect(providerChat.lastMessage()).toContainText('I will pick it up at 10');
	await expect(providerChat.lastMessage().getByTestId('edited')).toBeVisible();

	// Delete, after the question.
	await openMenu(renter, 'I will pick it up at 10');
	await renter.getByRole('link', { name: 'Delete…' }).click();
	await expect(renter.getByText('Delete this message for everyone?')).toBeVisible();
	await renter.setViewportSize({ width: 375, height: 812 });
	await renter.screenshot({ path: 'e2e/screenshots/message-delete-phone.png' });
	await renter.setViewportSize({ width: 1280, height: 720 });
	await renter.getByRole('button', { name: 'Delete', exact: true }).click();
	await expect(renterChat.lastMessage()).toContainText('This message was deleted');
	await expect(providerChat.lastMessage()).toContainText('This message was deleted');
	await expect(providerChat.lastMessage()).not.toContainText('pick it up');

	// The inbox row says so too.
	await provider.goto('/dashboard/messages');
	await expect(provider.getByTestId('thread-item').first()).toContainText('Message deleted');
	await close();
});

test('mark as unread brings the badge back', async ({ browser }) => {
	test.setTimeout(120_000);
	const { provider, renter, close } = await twoParties(browser, 'Tent');
	const renterChat = new ConversationPage(renter);
	await renterChat.send('Does it come with pegs?');
	await provider.goto('/dashboard/messages');
	await provider.getByTestId('thread-item').first().click();
	const providerChat = new ConversationPage(provider);
	await providerChat.send('Yes, twelve of them.');
	await expect(renterChat.lastMessage()).toContainText('Yes, twelve of them.');
	await renter.reload();
	await expect(badge(renter)).toHaveCount(0);

	await openMenu(renter, 'Yes, twelve of them.');
	await renter.screenshot({ path: 'e2e/screenshots/message-menu-desktop.png' });
	await renter.getByRole('button', { name: 'Mark as unread' }).click();
	await expect(renter).toHaveURL(/\/dashboard\/messages$/);
	await expect(badge(renter)).toHaveText('1');
	await expect(renter.getByTestId('thread-item').first()).toHaveClass(/unread/);
	// And the provider's "Seen" goes back.
	await expect(provider.getByTestId('seen')).toHaveCount(0);
	await close();
});

test('edit and delete work without JavaScript', async ({ browser }) => {
	test.setTimeout(120_000);
	const { renter, close } = await twoParties(browser, 'Ladder', { renterJs: false });
	const chat = new ConversationPage(renter);
	await chat.composer().fill('Is it 3 metres?');
	await renter.getByRole('button', { name: 'Send' }).click();
	await expect(chat.lastMessage()).toContainText('Is it 3 metres?');

	await openMenu(renter, 'Is it 3 metres?');
	await renter.getByRole('link', { name: 'Edit' }).click();
	await renter.getByLabel('Edit your message').fill('Is it 4 metres?');
	await renter.getByRole('button', { name: 'Save' }).click();
	await expect(chat.lastMessage()).toContainText('Is it 4 metres?');
	await expect(chat.lastMessage().getByTestId('edited')).toBeVisible();

	await openMenu(renter, 'Is it 4 metres?');
	await renter.getByRole('link', { name: 'Delete…' }).click();
	await renter.getByRole('button', { name: 'Delete', exact: true }).click();
	await expect(chat.lastMessage()).toContainText('This message was deleted');
	await close();
});
