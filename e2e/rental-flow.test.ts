import { expect, test } from '@playwright/test';
import { startFakeResend } from '../tests/helpers/fake-resend';
import { E2E_RESEND_PORT } from './env';
import { AuthPages, RentalPage, confirmEmailAddress } from './pages';

test('a new renter rents a demo offering and the provider accepts it', async ({ browser }) => {
	const renterContext = await browser.newContext();
	const providerContext = await browser.newContext();
	const renter = await renterContext.newPage();
	const provider = await providerContext.newPage();
	const renterAuth = new AuthPages(renter);

	const email = `e2e-${Date.now()}@example.com`;
	// A password logs in once the address is confirmed, through the email the stand-in receives.
	const fake = await startFakeResend(E2E_RESEND_PORT);
	try {
		await renterAuth.signUp('Erin E2E', email, 'a long enough password');
		await confirmEmailAddress(renter, fake, email);
	} finally {
		await fake.close();
	}
	await renterAuth.logOut();

	// Logging in from a protected page brings the user back to it.
	await renter.goto('/dashboard/rentals');
	await expect(renter).toHaveURL(/\/login\?redirectTo=%2Fdashboard%2Frentals/);
	await renterAuth.logIn(email, 'a long enough password', renter.url());
	await expect(renter).toHaveURL(/\/dashboard\/rentals$/);

	await renter.goto('/offerings');
	const offering = renter.getByTestId('offering').filter({ hasText: 'GPU box' });
	await expect(offering).toContainText('by Paul Provider');
	await offering.getByRole('button', { name: /Rent/ }).click();
	await expect(renter).toHaveURL(/\/dashboard\/rentals\/[0-9a-f-]{36}$/);
	const rentalUrl = new URL(renter.url()).pathname;
	const renterRental = new RentalPage(renter);
	await expect(renterRental.status()).toHaveText('requested');
	await expect(renter.getByRole('button', { name: 'Accept request' })).toHaveCount(0);

	await new AuthPages(provider).logIn('provider@example.com');
	await provider.goto('/dashboard/rentals');
	await expect(provider.getByTestId('contract-row').filter({ hasText: 'Erin E2E' })).toBeVisible();
	await provider.goto(rentalUrl);
	const providerRental = new RentalPage(provider);
	await providerRental.act('Accept request');
	await expect(provider.getByRole('status')).toHaveText('You accepted the request.');
	await expect(providerRental.status()).toHaveText('active');

	await renter.reload();
	await expect(renterRental.status()).toHaveText('active');
	await expect(renter.getByText('Paul Provider accepted the rental')).toBeVisible();

	await renterContext.close();
	await providerContext.close();
});

test('a stranger gets the 404 page for someone else’s rental', async ({ page }) => {
	await new AuthPages(page).logIn('other@example.com');
	await page.goto('/dashboard/rentals/00000000-0000-4000-8000-000000000301');
	await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
});

test('logging out is a POST; a GET only asks', async ({ page }) => {
	await new AuthPages(page).logIn('renter@example.com');
	await page.goto('/logout');
	await expect(page.getByRole('heading', { name: 'Log out of Parley?' })).toBeVisible();
	await page.goto('/dashboard');
	await expect(page.getByTestId('current-user')).toHaveText('Rita Renter');
});
