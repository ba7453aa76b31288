import { expect, request as playwrightRequest, test } from '@playwright/test';
import { startFakeResend } from '../tests/helpers/fake-resend';
import { E2E_CRON_SECRET, E2E_RESEND_PORT } from './env';
import {
	AuthPages,
	ConversationPage,
	confirmEmailAddress,
	emailsTo,
	publishOffering,
	rentAndOpenConversation
} from './pages';

test('an unread message is emailed once; its link opens the conversation; one click turns email off', async ({
	browser,
	request
}) => {
	test.setTimeout(90_000);
	const fake = await startFakeResend(E2E_RESEND_PORT);
	try {
		const stamp = Date.now();
		const providerEmail = `pia-${stamp}@example.com`;
		const providerContext = await browser.newContext();
		const renterContext = await browser.newContext();
		const provider = await providerContext.newPage();
		const renter = await renterContext.newPage();

		await new AuthPages(provider).signUp('Pia Provider', providerEmail, 'a long enough password');
		// Nothing is emailed to an address its owner has not confirmed (issue #13, finding 4).
		await confirmEmailAddress(provider, fake, providerEmail);
		const offeringName = `Trailer ${stamp}`;
		await publishOffering(provider, offeringName, 'Two axles.');

		await new AuthPages(renter).signUp(
			'Ron Renter',
			`ron-${stamp}@example.com`,
			'a long enough password'
		);
		await rentAndOpenConversation(renter, offeringName, 'Pia Provider');
		await new ConversationPage(renter).send('Can I pick the trailer up at 8?');
		await expect(new ConversationPage(renter).lastMessage()).not.toContainText('Sending');

		// The scheduler's call: refused without the secret, then processed.
		expect((await request.post('/api/cron/message-notifications')).status()).toBe(401);
		const run = await request.post('/api/cron/message-notifications', {
			headers: { authorization: `Bearer ${E2E_CRON_SECRET}` }
		});
		expect(run.status()).toBe(200);
		expect(await run.json()).toMatchObject({ sent: expect.any(Number), failed: 0 });

		const toProvider = emailsTo(fake, providerEmail);
		expect(toProvider).toHaveLength(1);
		const email = toProvider[0]!.body as {
			subject: string;
			html: string;
			headers: Record<string, string>;
		};
		expect(email.subject).toBe(`New message from Ron Renter about "${offeringName}"`);

		// A second run sends nothing more about it.
		await request.get('/api/cron/message-notifications', {
			headers: { authorization: `Bearer ${E2E_CRON_SECRET}` }
		});
		expect(emailsTo(fake, providerEmail)).toHaveLength(1);

		const link = email.html.match(/href="([^"]+\/messages)"/)![1]!;
		await provider.goto(link);
		await expect(new ConversationPage(provider).lastMessage()).toContainText(
			'Can I pick the trailer up at 8?'
		);

		// RFC 8058 one-click: a POST with no cookie and no Origin, answered without a redirect.
		const unsubscribeUrl = email.headers['List-Unsubscribe']!.slice(1, -1);
		const mailbox = await playwrightRequest.newContext();
		const oneClick = await mailbox.post(unsubscribeUrl, {
			form: { 'List-Unsubscribe': 'One-Click' },
			maxRedirects: 0
		});
		expect(oneClick.status()).toBe(200);
		await mailbox.dispose();
		await provider.goto('/dashboard/settings');
		await expect(provider.getByRole('checkbox', { name: /Email me/ })).not.toBeChecked();

		// A GET of the link only asks.
		await provider.goto(unsubscribeUrl);
		await expect(
			provider.getByRole('heading', { name: 'You will get no more message emails' })
		).toBeVisible();

		await renterContext.close();
		await providerContext.close();
	} finally {
		await fake.close();
	}
});

test('a cross-site form post elsewhere is still refused', async ({ request }) => {
	const response = await request.post('/login', {
		form: { email: 'renter@example.com', password: 'parley-demo' },
		headers: { origin: 'https://evil.example' },
		maxRedirects: 0
	});
	expect(response.status()).toBe(403);
});
