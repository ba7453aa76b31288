import { expect, test } from '@playwright/test';
import sharp from 'sharp';
import { devReplyEmail } from '../src/lib/server/email/dev-reply';
import { startFakeResend } from '../tests/helpers/fake-resend';
import { E2E_CRON_SECRET, E2E_INBOUND_DOMAIN, E2E_INBOUND_SECRET, E2E_RESEND_PORT } from './env';
import {
	AuthPages,
	ConversationPage,
	confirmEmailAddress,
	emailsTo,
	publishOffering,
	rentAndOpenConversation
} from './pages';

/** The reply with a photo attached, as a mail client sends it (multipart/mixed). */
async function withPhoto(raw: string, filename: string): Promise<string> {
	const photo = await sharp({
		create: { width: 640, height: 480, channels: 3, background: { r: 30, g: 140, b: 90 } }
	})
		.jpeg()
		.toBuffer();
	const split = raw.indexOf('\r\n\r\n');
	const textHeaders =
		'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64';
	const head = raw
		.slice(0, split)
		.replace(textHeaders, 'Content-Type: multipart/mixed; boundary="p"');
	return [
		head,
		'',
		'--p',
		textHeaders,
		'',
		raw.slice(split + 4),
		'--p',
		'Content-Type: image/jpeg',
		`Content-Disposition: attachment; filename="${filename}"`,
		'Content-Transfer-Encoding: base64',
		'',
		photo.toString('base64').replace(/.{76}/g, '$&\r\n'),
		'--p--',
		''
	].join('\r\n');
}

test('the provider answers the notification email; the renter sees it live, labelled "via email"', async ({
	browser,
	request
}) => {
	test.setTimeout(90_000);
	const fake = await startFakeResend(E2E_RESEND_PORT);
	try {
		const stamp = Date.now();
		const providerEmail = `paula-${stamp}@example.com`;
		const providerContext = await browser.newContext();
		const renterContext = await browser.newContext();
		const provider = await providerContext.newPage();
		const renter = await renterContext.newPage();

		await new AuthPages(provider).signUp('Paula Provider', providerEmail, 'a long enough password');
		// Nothing is emailed to an address its owner has not confirmed (issue #13, finding 4).
		await confirmEmailAddress(provider, fake, providerEmail);
		const offeringName = `Cargo bike ${stamp}`;
		await publishOffering(provider, offeringName, 'With a child seat.');
		await providerContext.close();

		await new AuthPages(renter).signUp(
			'Rita Renter',
			`rita-${stamp}@example.com`,
			'a long enough password'
		);
		await rentAndOpenConversation(renter, offeringName, 'Paula Provider');
		const conversation = new ConversationPage(renter);
		await conversation.send('Where do I pick up the key?');
		await expect(conversation.lastMessage()).not.toContainText('Sending');

		const run = await request.post('/api/cron/message-notifications', {
			headers: { authorization: `Bearer ${E2E_CRON_SECRET}` }
		});
		expect(run.status()).toBe(200);
		const sent = emailsTo(fake, providerEmail)[0];
		const email = sent!.body as { subject: string; text: string; headers: Record<string, string> };
		expect(email.headers['Reply-To']).toMatch(
			new RegExp(`^reply\\+[a-z2-7]+@${E2E_INBOUND_DOMAIN}$`)
		);
		expect(email.text).toContain('Reply to this email to answer Rita Renter');

		// The provider's mail client answers; the mail server hands the raw email to the MIME route.
		const raw = await withPhoto(
			devReplyEmail(
				{
					toAddress: providerEmail,
					subject: email.subject,
					text: email.text,
					headers: email.headers
				},
				'The key is in the lockbox by the door, code 4821.'
			),
			`lockbox-${stamp}.jpg`
		);
		const refused = await request.post('/api/inbound/mime', {
			headers: { 'content-type': 'message/rfc822' },
			data: raw
		});
		expect(refused.status()).toBe(401);
		const delivered = await request.post('/api/inbound/mime', {
			headers: { authorization: `Bearer ${E2E_INBOUND_SECRET}`, 'content-type': 'message/rfc822' },
			data: raw
		});
		expect(delivered.status()).toBe(200);
		expect(await delivered.json()).toMatchObject({ outcome: 'posted' });

		// Live, without a reload: the reply alone (no quoted email), labelled.
		const last = conversation.lastMessage();
		await expect(last).toContainText('The key is in the lockbox by the door, code 4821.');
		await expect(last).not.toContainText('wrote:');
		await expect(last.getByTestId('via-email')).toHaveText('via email');
		// The photo came along as the message's attachment, with its thumbnail.
		const thumb = last.getByTestId('attachment-thumbnail').locator('img');
		await expect(thumb).toBeVisible();
		await expect
			.poll(() => thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
			.toBe(320);

		// The mail server retries: still one message.
		const retried = await request.post('/api/inbound/mime', {
			headers: { authorization: `Bearer ${E2E_INBOUND_SECRET}`, 'content-type': 'message/rfc822' },
			data: raw
		});
		expect(await retried.json()).toMatchObject({ outcome: 'duplicate' });
		await renter.reload();
		await expect(renter.getByText('The key is in the lockbox by the door, code 4821.')).toHaveCount(
			1
		);
		await renterContext.close();
	} finally {
		await fake.close();
	}
});
