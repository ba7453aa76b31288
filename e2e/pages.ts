import { expect, type Browser, type Page } from '@playwright/test';

export const DEMO_PASSWORD = 'parley-demo';

/** What the stand-in Resend (tests/helpers/fake-resend.ts) recorded: the emails the app sent. */
interface Outbox {
	requests: { body: Record<string, unknown> }[];
}

/** The link in the newest confirmation email to `address` that the stand-in received, if any. */
export function confirmationLink(outbox: Outbox, address: string): string | null {
	const email = outbox.requests
		.map((r) => r.body as { to?: string | string[]; subject?: string; text?: string })
		.filter(
			(b) =>
				[b.to].flat().includes(address) && b.subject === 'Confirm your email address for Parley'
		)
		.at(-1);
	return /https?:\/\/\S+\/confirm-email\/[a-z2-7]+/.exec(email?.text ?? '')?.[0] ?? null;
}

/**
 * Confirms a new account's address as its owner does: opens the link from the email the app sent
 * (sign-up sends it at once, so the stand-in must be running before the sign-up) and confirms.
 */
export async function confirmEmailAddress(page: Page, outbox: Outbox, address: string) {
	await expect.poll(() => confirmationLink(outbox, address), { timeout: 15_000 }).not.toBeNull();
	await page.goto(confirmationLink(outbox, address)!);
	await page.getByRole('button', { name: 'Confirm my email address' }).click();
	await expect(
		page.getByRole('heading', { name: 'Your email address is confirmed' })
	).toBeVisible();
}

/** The emails to `address` other than the confirmation link. */
export function emailsTo(outbox: Outbox, address: string) {
	return outbox.requests.filter(
		(r) =>
			[r.body.to].flat().includes(address) &&
			r.body.subject !== 'Confirm your email address for Parley'
	);
}

export class AuthPages {
	/** `scripts`: whether the page runs JavaScript (a context may have it turned off). */
	constructor(
		private readonly page: Page,
		private readonly scripts = true
	) {}

	async signUp(displayName: string, email: string, password: string) {
		await this.page.goto('/signup');
		// Typing into the server-rendered form before it hydrates can be undone by the hydration.
		if (this.scripts) await this.page.locator('html[data-hydrated]').waitFor();
		await this.page.getByLabel('Display name').fill(displayName);
		await this.page.getByLabel('Email').fill(email);
		await this.page.getByLabel('Password').fill(password);
		await this.page.getByRole('button', { name: 'Sign up' }).click();
		await expect(this.page.getByTestId('current-user')).toHaveText(displayName);
	}

	async logIn(email: string, password = DEMO_PASSWORD, path = '/login') {
		await this.page.goto(path);
		if (this.scripts) await this.page.locator('html[data-hydrated]').waitFor();
		await this.page.getByLabel('Email').fill(email);
		await this.page.getByLabel('Password').fill(password);
		await this.page.getByRole('button', { name: 'Log in' }).click();
		await expect(this.page.getByTestId('current-user')).toBeVisible();
	}

	async logOut() {
		await this.page.getByRole('button', { name: 'Log out' }).click();
		await expect(this.page.getByRole('link', { name: 'Log in' })).toBeVisible();
	}
}

export class RentalPage {
	constructor(private readonly page: Page) {}

	status() {
		return this.page.locator('.contract header .pill');
	}

	/** Runs a status action; the ones that cannot be undone ask first, and are confirmed. */
	async act(label: 'Accept request' | 'Reject request' | 'Cancel rental' | 'Mark as completed') {
		if (label === 'Reject request' || label === 'Cancel rental') {
			await this.page.getByText(`${label}…`).click();
			await this.page.getByRole('button', { name: `Yes, ${label.toLowerCase()}` }).click();
		} else {
			await this.page.getByRole('button', { name: label }).click();
		}
	}
}

export class ConversationPage {
	constructor(private readonly page: Page) {}

	composer() {
		return this.page.getByLabel('Message', { exact: true });
	}

	async send(text: string) {
		await this.composer().fill(text);
		await this.composer().press('Enter');
	}

	messages() {
		return this.page.getByTestId('message');
	}

	lastMessage() {
		return this.messages().last();
	}
}

export function badge(page: Page) {
	return page.getByRole('navigation', { name: 'Dashboard' }).getByTestId('unread-badge');
}

/** Publishes an offering as the signed-in user, from /dashboard/offerings. */
export async function publishOffering(page: Page, name: string, description = 'For testing.') {
	await page.goto('/dashboard/offerings');
	await page.getByLabel('Name').fill(name);
	await page.getByLabel('Description').fill(description);
	await page.getByLabel('Monthly price (USD)').fill('80');
	await page.getByRole('button', { name: 'Publish offering' }).click();
	await expect(page.getByRole('status')).toContainText('is published');
}

/**
 * Rents the named offering from /offerings, with a note to the provider if given, and opens the
 * conversation with its provider.
 */
export async function rentAndOpenConversation(
	page: Page,
	offeringName: string,
	providerName: string,
	note?: string
) {
	await page.goto('/offerings');
	const offering = page.getByTestId('offering').filter({ hasText: offeringName });
	if (note !== undefined) await offering.getByLabel('Message to the provider').fill(note);
	await offering.getByRole('button', { name: /Rent/ }).click();
	await page.getByRole('link', { name: new RegExp(`Messages with ${providerName}`) }).click();
	// Landed: a test that resizes or reloads next must not catch the rental page on its way out.
	await expect(page).toHaveURL(/\/dashboard\/rentals\/[0-9a-f-]{36}\/messages$/);
	await expect(page.getByLabel('Message', { exact: true })).toBeVisible();
}

/** A demo rental (active, with a conversation) between renter@example.com and provider@example.com. */
export const DEMO_RENTAL_ID = '00000000-0000-4000-8000-000000000301';

/** Every page a visitor can open without signing in. */
export const PUBLIC_PAGES = ['/', '/login', '/signup', '/offerings'];

/** Every page a signed-in party can open, with one of their rentals and its conversation. */
export function memberPages(rentalId = DEMO_RENTAL_ID) {
	return [
		'/offerings',
		'/dashboard',
		'/dashboard/messages',
		'/dashboard/messages/search?q=thanks',
		'/dashboard/rentals',
		`/dashboard/rentals/${rentalId}`,
		`/dashboard/rentals/${rentalId}/messages`,
		'/dashboard/offerings',
		'/dashboard/settings'
	];
}

/**
 * A provider with a new offering and a renter who rented it, each in a browser context of their
 * own; the renter is left in the conversation.
 */
export async function twoParties(
	browser: Browser,
	name: string,
	options: { renterJs?: boolean } = {}
) {
	const stamp = `${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
	const providerEmail = `lena-${stamp}@example.com`;
	const providerContext = await browser.newContext();
	const renterContext = await browser.newContext({ javaScriptEnabled: options.renterJs ?? true });
	const provider = await providerContext.newPage();
	const renter = await renterContext.newPage();
	await new AuthPages(provider).signUp('Lena Provider', providerEmail, 'a long enough password');
	const offering = `${name} ${stamp}`;
	await publishOffering(provider, offering);
	await new AuthPages(renter, options.renterJs ?? true).signUp(
		'Tom Renter',
		`tom-${stamp}@example.com`,
		'a long enough password'
	);
	await renter.goto('/offerings');
	const offeringId = await renter
		.getByTestId('offering')
		.filter({ hasText: offering })
		.locator('input[name="offeringId"]')
		.first()
		.inputValue();
	await rentAndOpenConversation(renter, offering, 'Lena Provider');
	return {
		provider,
		providerEmail,
		renter,
		offeringId,
		close: async () => {
			await renterContext.close();
			await providerContext.close();
		}
	};
}
