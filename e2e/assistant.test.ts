import { expect, test } from '@playwright/test';
import { startStandInModel } from '../src/lib/server/assistant/stand-in';
import { E2E_AI_PORT, E2E_CRON_SECRET } from './env';
import { ConversationPage, twoParties } from './pages';

// The provider's assistant in auto mode, against the stand-in model (OpenAI-compatible, on
// E2E_AI_PORT): Rita asks, the cron run answers for Paul, the reply streams into Rita's open
// conversation labelled "Assistant for ..."; once Paul writes there, it stays silent.

test('auto mode answers for the provider, streamed live, then stays silent once they write', async ({
	browser,
	request
}) => {
	// Slow words, so the placeholder is on screen long enough to be seen.
	const model = await startStandInModel({ port: E2E_AI_PORT, chunkDelayMs: 250 });
	const { provider, renter, close } = await twoParties(browser, 'Assistant e2e');
	const cron = () =>
		request.post('/api/cron/message-notifications', {
			headers: { authorization: `Bearer ${E2E_CRON_SECRET}` }
		});
	try {
		await provider.goto('/dashboard/settings');
		const section = provider.locator('section', { hasText: 'Assistant (for your rentals)' });
		await section.getByRole('radio', { name: /^Auto/ }).check();
		await section
			.getByLabel(/Facts it may answer from/)
			.fill('Pickup: weekdays 9:00-17:00 at the warehouse gate.');
		await section.getByRole('spinbutton', { name: /answers after/ }).fill('0');
		await section.getByRole('button', { name: 'Save assistant' }).click();
		await expect(section.getByRole('status')).toContainText('the assistant is auto');

		const renterChat = new ConversationPage(renter);
		await renterChat.send('When is pickup possible?');
		await expect(renterChat.lastMessage()).not.toContainText('Sending');

		// The cron run writes the reply; while it does, Rita sees it grow.
		const run = cron();
		const writing = renter.getByTestId('assistant-writing');
		await expect(writing).toContainText('Assistant for Lena Provider', { timeout: 10_000 });
		await expect(writing).toContainText('Pickup');
		const result = await (await run).json();
		expect(result.assistant).toMatchObject({ claimed: 1, answered: 1 });
		await expect(writing).toHaveCount(0);
		await expect(renterChat.lastMessage()).toContainText('Assistant for Lena Provider');
		await expect(renterChat.lastMessage()).toContainText('weekdays 9:00-17:00');

		// Lena writes in the conversation; Rita's next question is hers to answer.
		const providerChat = new ConversationPage(provider);
		await provider.goto(renter.url());
		await expect(providerChat.lastMessage()).toContainText('Assistant for Lena Provider');
		await providerChat.send('Hi, Lena here. I can also do Saturday morning.');
		await expect(renterChat.lastMessage()).toContainText('Saturday morning');
		await renterChat.send('Great, what is the pickup gate code?');
		await expect(renterChat.lastMessage()).not.toContainText('Sending');
		const quiet = await (await cron()).json();
		expect(quiet.assistant).toMatchObject({ claimed: 0, answered: 0 });
		await expect(renterChat.lastMessage()).toContainText('what is the pickup gate code?');
		await expect(
			provider.getByText('Your assistant is silent here since you wrote.')
		).toBeVisible();
		expect(model.requests).toHaveLength(1);
	} finally {
		await close();
		await model.close();
	}
});
