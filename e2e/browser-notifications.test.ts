import { expect, test, type Page } from '@playwright/test';
import { ConversationPage, twoParties } from './pages';

// The browser's own Notification, wrapped so the test can see what was shown.
const RECORD_NOTIFICATIONS = () => {
	const Real = window.Notification;
	const shown: { title: string; body?: string; tag?: string }[] = [];
	(window as unknown as { shownNotifications: typeof shown }).shownNotifications = shown;
	class Recording extends Real {
		constructor(title: string, options?: NotificationOptions) {
			super(title, options);
			shown.push({ title, body: options?.body, tag: options?.tag });
		}
	}
	Object.defineProperty(Recording, 'permission', { get: () => Real.permission });
	Object.defineProperty(Recording, 'requestPermission', {
		value: (...args: Parameters<typeof Real.requestPermission>) => Real.requestPermission(...args)
	});
	window.Notification = Recording as typeof Notification;
};

const shown = (page: Page) =>
	page.evaluate(
		() => (window as unknown as { shownNotifications: { title: string }[] }).shownNotifications
	);
const setHidden = (page: Page, hidden: boolean) =>
	page.evaluate((hidden) => {
		Object.defineProperty(document, 'visibilityState', {
			value: hidden ? 'hidden' : 'visible',
			configurable: true
		});
	}, hidden);

test('a message arriving in a hidden tab shows a notification, once opted in; never when muted or in view', async ({
	browser
}) => {
	test.setTimeout(120_000);
	const { provider, renter, close } = await twoParties(browser, 'Notify');
	await provider.context().grantPermissions(['notifications']);
	await provider.addInitScript(RECORD_NOTIFICATIONS);

	await provider.goto('/dashboard/settings');
	await provider.getByRole('button', { name: 'Turn on' }).click();
	await expect(provider.getByText('On in this browser.')).toBeVisible();

	await provider.goto('/dashboard');
	await setHidden(provider, true);
	const chat = new ConversationPage(renter);
	await chat.send('Is the tent waterproof?');
	await expect
		.poll(() => shown(provider))
		.toEqual([
			expect.objectContaining({ title: 'Tom Renter', body: expect.stringContaining('waterproof') })
		]);

	// In view: nothing.
	await setHidden(provider, false);
	await chat.send('Also, how heavy is it?');
	await expect(chat.lastMessage()).not.toContainText('Sending');
	await provider.waitForTimeout(1500);
	expect(await shown(provider)).toHaveLength(1);

	// Muted: nothing either.
	const contractId = new URL(renter.url()).pathname.split('/')[3];
	await provider.evaluate(
		(id) => fetch(`/api/contracts/${id}/thread/mute`, { method: 'PUT' }),
		contractId
	);
	await setHidden(provider, true);
	await chat.send('Hello?');
	await expect(chat.lastMessage()).not.toContainText('Sending');
	await provider.waitForTimeout(1500);
	expect(await shown(provider)).toHaveLength(1);
	await close();
});
