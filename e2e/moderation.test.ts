import { expect, test, type Page } from '@playwright/test';
import { startFakeResend } from '../tests/helpers/fake-resend';
import { E2E_RESEND_PORT } from './env';
import {
	AuthPages,
	confirmEmailAddress,
	ConversationPage,
	DEMO_RENTAL_ID,
	twoParties
} from './pages';

// Trust and safety: a report from the conversation page reaches an operator at /admin/reports,
// who dismisses it or suspends the account; contact details are hidden until acceptance.

async function reportMessage(page: Page, row: ReturnType<Page['locator']>, note: string) {
	await row.getByLabel('Message options').click();
	await page.getByRole('link', { name: 'Report…' }).click();
	const dialog = page.getByTestId('report-dialog');
	await expect(dialog).toBeVisible();
	await dialog.getByLabel('Scam or fraud').check();
	await dialog.getByLabel(/Anything the operators should know/).fill(note);
	await dialog.getByRole('button', { name: 'Send report' }).click();
	await expect(dialog.getByTestId('report-sent')).toContainText('An operator will look at it');
	await dialog.getByRole('button', { name: 'Close' }).click();
	await expect(dialog).toBeHidden();
}

test('Rita reports a message from Paul; an operator sees it in its conversation and dismisses it', async ({
	browser
}) => {
	test.setTimeout(120_000);
	const ritaContext = await browser.newContext();
	const rita = await ritaContext.newPage();
	await new AuthPages(rita).logIn('renter@example.com');
	await rita.goto(`/dashboard/rentals/${DEMO_RENTAL_ID}/messages`);
	await rita.locator('html[data-hydrated]').waitFor();
	const fromPaul = rita.locator('[data-testid="message"][data-own="false"]').first();
	const text = (await fromPaul.locator('.body').innerText()).trim();
	const note = `Asked me to pay outside Parley ${Date.now()}`;
	await reportMessage(rita, fromPaul, note);
	// Rita is no operator: /admin does not exist for her.
	for (const path of ['/admin/reports', '/admin/accounts']) {
		expect((await rita.goto(path))?.status(), path).toBe(404);
	}
	await ritaContext.close();

	const operatorContext = await browser.newContext();
	const operator = await operatorContext.newPage();
	await new AuthPages(operator).logIn('operator@example.com');
	await operator.goto('/admin/reports');
	const item = operator.getByTestId('reports').getByRole('listitem').filter({ hasText: note });
	await expect(item).toContainText('Scam or fraud: a message from Paul Provider');
	await item.getByRole('link').first().click();
	await expect(operator.getByTestId('report-note')).toHaveText(note);
	await expect(operator.getByTestId('reported-message')).toContainText(text.slice(0, 40));
	await operator.screenshot({ path: 'e2e/screenshots/admin-report-desktop.png', fullPage: true });
	await operator.getByLabel('Why (recorded with the action)').fill('A misunderstanding');
	await operator.getByRole('button', { name: 'Dismiss' }).click();
	await expect(operator.getByTestId('action-done')).toHaveText('Report dismissed.');
	await expect(operator.getByTestId('report-status')).toHaveText('dismissed');
	await expect(operator.getByTestId('history')).toContainText('Dismissed by Olga Operator');
	await expect(operator.getByTestId('history')).toContainText('A misunderstanding');
	await operatorContext.close();
});

test('contact details are hidden until acceptance; a report leads to a suspension', async ({
	browser
}) => {
	test.setTimeout(150_000);
	// Lena logs in with her password after the suspension is lifted: her address is confirmed
	// first, from the email sign-up sent her.
	const resend = await startFakeResend(E2E_RESEND_PORT);
	const { provider, providerEmail, renter, close } = await twoParties(browser, 'Pressure washer');
	await confirmEmailAddress(provider, resend, providerEmail);
	await resend.close();
	const renterChat = new ConversationPage(renter);
	await renterChat.send('Is it free this weekend?');
	await expect(renterChat.lastMessage()).not.toContainText('Sending');
	// The provider answers with a phone number while the rental is only requested.
	await provider.goto('/dashboard/messages');
	await provider.getByTestId('thread-item').first().click();
	const providerChat = new ConversationPage(provider);
	await providerChat.send('Pay me directly, call +44 7700 900123');
	await expect(providerChat.lastMessage()).toContainText('+44 7700 900123');
	await expect(providerChat.lastMessage().getByTestId('contact-hidden-note')).toBeVisible();

	const masked = renterChat.messages().filter({ hasText: 'Pay me directly' });
	await expect(masked).toContainText('[contact details hidden until the rental is accepted]');
	await expect(masked).not.toContainText('7700');
	await renter.setViewportSize({ width: 375, height: 812 });
	await renter.screenshot({ path: 'e2e/screenshots/contact-masked-phone.png' });
	await renter.setViewportSize({ width: 1280, height: 720 });

	const note = `Off-platform payment ${Date.now()}`;
	await reportMessage(renter, masked, note);

	const operatorContext = await browser.newContext();
	const operator = await operatorContext.newPage();
	await new AuthPages(operator).logIn('operator@example.com');
	await operator.goto('/admin/reports');
	await operator
		.getByTestId('reports')
		.getByRole('listitem')
		.filter({ hasText: note })
		.getByRole('link')
		.first()
		.click();
	// The operator reads the message as written.
	await expect(operator.getByTestId('reported-message')).toContainText('+44 7700 900123');
	const why = `Scam pattern ${Date.now()}`;
	await operator.getByLabel('Why (recorded with the action)').fill(why);
	await operator.getByRole('button', { name: /^Suspend/ }).click();
	await expect(operator.getByTestId('action-done')).toContainText('Account suspended');
	await expect(operator.getByTestId('suspended')).toBeVisible();

	// The provider is signed out everywhere; the renter sees them as suspended.
	await provider.goto('/dashboard/messages');
	await expect(provider).toHaveURL(/\/login/);
	await renter.reload();
	await expect(renter.getByTestId('counterpart-suspended')).toBeVisible();

	// The operator finds the account among the suspended ones and lifts the suspension.
	await operator
		.getByRole('navigation', { name: 'Admin' })
		.getByRole('link', { name: 'Suspended accounts' })
		.click();
	const account = operator.getByTestId('suspended-account').filter({ hasText: why });
	await expect(account).toContainText('Lena Provider');
	await expect(account).toContainText('by Olga Operator');
	await account.screenshot({ path: 'e2e/screenshots/admin-suspended-account-desktop.png' });
	await operator.setViewportSize({ width: 375, height: 812 });
	await account.screenshot({ path: 'e2e/screenshots/admin-suspended-account-phone.png' });
	await operator.setViewportSize({ width: 1280, height: 720 });
	const email = /\((lena-[^)]+@example\.com)\)/.exec(await account.innerText())![1]!;
	await account.getByLabel('Why lift it (recorded with the action)').fill('Appeal upheld');
	await account.getByRole('button', { name: 'Lift the suspension of Lena Provider' }).click();
	await expect(operator.getByTestId('unsuspended')).toHaveText(
		'Lifted the suspension of Lena Provider.'
	);
	await expect(operator.getByTestId('suspended-account').filter({ hasText: why })).toHaveCount(0);
	await operatorContext.close();

	// Lena signs in again, and the renter no longer sees her as suspended.
	await new AuthPages(provider).logIn(email, 'a long enough password');
	await renter.reload();
	await expect(renter.getByTestId('counterpart-suspended')).toHaveCount(0);
	await close();
});

test('the rental panel’s report and block buttons stay on one line at 1280 and 375 px', async ({
	page
}) => {
	await new AuthPages(page).logIn('renter@example.com');
	await page.goto(`/dashboard/rentals/${DEMO_RENTAL_ID}/messages`);
	await page.locator('html[data-hydrated]').waitFor();
	for (const [width, name] of [
		[1280, 'desktop'],
		[375, 'phone']
	] as const) {
		await page.setViewportSize({ width, height: 800 });
		const phone = width < 600;
		// On a phone the rental folds into the conversation's header.
		if (phone) await page.locator('.rental-toggle > summary').click();
		const panel = phone
			? page.locator('.rental-sheet')
			: page.getByRole('complementary', { name: 'The rental' });
		const oneLine = (await panel.getByRole('button', { name: /^(Mute|Unmute)$/ }).boundingBox())!
			.height;
		const panelBox = (await panel.boundingBox())!;
		for (const control of [
			panel.getByRole('link', { name: /^Report Paul Provider/ }),
			panel.getByRole('button', { name: /^(Block|Unblock) Paul Provider/ })
		]) {
			const box = (await control.boundingBox())!;
			expect(box.height, `${name}: one line`).toBeLessThanOrEqual(oneLine + 1);
			expect(box.x + box.width, `${name}: inside the panel`).toBeLessThanOrEqual(
				panelBox.x + panelBox.width + 1
			);
		}
		await page.screenshot({ path: `e2e/screenshots/rental-panel-${name}.png` });
	}
});

for (const js of [true, false]) {
	test(`blocked people are listed in settings and unblocked there (${js ? 'keyboard' : 'no JavaScript'})`, async ({
		browser
	}) => {
		test.setTimeout(120_000);
		const { renter, close } = await twoParties(browser, js ? 'Tent' : 'Kayak', { renterJs: js });
		const panel = renter.getByRole('complementary', { name: 'The rental' });
		await panel.getByRole('button', { name: 'Block Lena Provider' }).click();
		await expect(panel.getByRole('button', { name: 'Unblock Lena Provider' })).toHaveAttribute(
			'aria-pressed',
			'true'
		);

		const conversation = renter.url();
		await renter.goto('/dashboard/settings');
		const blocked = renter.getByTestId('blocked-person');
		await expect(blocked).toHaveCount(1);
		await expect(blocked).toContainText('Lena Provider');
		const unblock = blocked.getByRole('button', { name: 'Unblock Lena Provider' });
		if (js) {
			await renter.locator('html[data-hydrated]').waitFor();
			const section = renter.locator('section').filter({ has: renter.getByTestId('blocks') });
			await section.screenshot({ path: 'e2e/screenshots/settings-blocked-people-desktop.png' });
			await renter.setViewportSize({ width: 375, height: 812 });
			await section.screenshot({ path: 'e2e/screenshots/settings-blocked-people-phone.png' });
			await renter.setViewportSize({ width: 1280, height: 720 });
			await unblock.focus();
			await expect(unblock).toBeFocused();
			await renter.keyboard.press('Enter');
		} else {
			await unblock.click();
		}
		await expect(renter.getByTestId('unblocked')).toContainText('Unblocked Lena Provider.');
		await expect(renter.getByTestId('no-blocks')).toBeVisible();

		// The panel offers the block again.
		await renter.goto(conversation);
		await expect(
			renter
				.getByRole('complementary', { name: 'The rental' })
				.getByRole('button', { name: 'Block Lena Provider' })
		).toHaveAttribute('aria-pressed', 'false');
		await close();
	});
}
