import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { AuthPages, ConversationPage, PUBLIC_PAGES, memberPages, twoParties } from './pages';

// Defect 13: axe-core found 28 contrast failures (the 'Active' pill, the name and time in one's
// own bubbles). Every page, signed out and signed in, on a desktop and on a phone, light and
// dark, with a conversation and its message menu open: no violations of any axe rule.

interface Found {
	where: string;
	rule: string;
	impact: string | null | undefined;
	help: string;
	nodes: string[];
}

/** axe's violations on the page as it is now, labelled with where they were found. */
async function violations(page: Page, where = new URL(page.url()).pathname): Promise<Found[]> {
	const { violations } = await new AxeBuilder({ page }).analyze();
	return violations.map((v) => ({
		where,
		rule: v.id,
		impact: v.impact,
		help: v.help,
		nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`)
	}));
}

async function auditPages(page: Page, paths: string[]): Promise<Found[]> {
	const found: Found[] = [];
	for (const path of paths) {
		await page.goto(path);
		await page.locator('html[data-hydrated]').waitFor();
		found.push(...(await violations(page)));
	}
	return found;
}

/** Opens the menu of the message that contains `text`. */
async function openMessageMenu(page: Page, text: string) {
	const row = page.getByTestId('message').filter({ hasText: text });
	await row.getByLabel('Message options').click();
	await expect(row.getByTestId('message-menu')).toHaveAttribute('open', '');
}

// Light on a desktop and a phone; the dark colours once, on a desktop (they do not depend on width).
for (const { viewport, colorScheme } of [
	{ viewport: { width: 1280, height: 800 }, colorScheme: 'light' },
	{ viewport: { width: 375, height: 740 }, colorScheme: 'light' },
	{ viewport: { width: 1280, height: 800 }, colorScheme: 'dark' }
] as const) {
	test.describe(`at ${viewport.width} px, ${colorScheme}`, () => {
		test.use({ colorScheme });

		test('every page has no axe violations, signed out', async ({ page }) => {
			await page.setViewportSize(viewport);
			expect(await auditPages(page, PUBLIC_PAGES)).toEqual([]);
		});

		for (const email of ['renter@example.com', 'provider@example.com']) {
			test(`every page has no axe violations, signed in as ${email}`, async ({ page }) => {
				test.setTimeout(90_000);
				// Signed in at the default size: a phone does not show who is signed in.
				await new AuthPages(page).logIn(email);
				await page.setViewportSize(viewport);
				const found = await auditPages(page, memberPages());

				// A conversation with messages, opened from the inbox, then its message menu.
				await page.goto('/dashboard/messages');
				await page.getByTestId('thread-item').filter({ hasText: 'GPU box' }).click();
				const chat = new ConversationPage(page);
				await expect(chat.messages().first()).toBeVisible();
				found.push(...(await violations(page, 'conversation')));
				const theirs = email === 'renter@example.com' ? 'port 2222' : 'Perfect, thank you';
				await openMessageMenu(page, theirs);
				found.push(...(await violations(page, 'conversation, menu of their message')));
				expect(found).toEqual([]);
			});
		}

		test('a fresh message’s menu, its editor and its delete question have no axe violations', async ({
			browser
		}) => {
			test.setTimeout(90_000);
			const { renter, close } = await twoParties(browser, 'Axe');
			await renter.setViewportSize(viewport);
			await renter.emulateMedia({ colorScheme });
			const chat = new ConversationPage(renter);
			await chat.send('Can I collect it at noon?');
			await expect(chat.lastMessage()).not.toContainText('Sending');
			const found = await violations(renter, 'conversation, own message');
			await openMessageMenu(renter, 'Can I collect it at noon?');
			found.push(...(await violations(renter, 'conversation, menu of my message')));
			await renter.getByRole('link', { name: 'Edit', exact: true }).click();
			await expect(renter.getByLabel('Edit your message')).toBeFocused();
			found.push(...(await violations(renter, 'conversation, editing my message')));
			await renter.keyboard.press('Escape');
			await openMessageMenu(renter, 'Can I collect it at noon?');
			await renter.getByRole('link', { name: 'Delete…', exact: true }).click();
			await expect(renter.getByText('Delete this message for everyone?')).toBeVisible();
			found.push(...(await violations(renter, 'conversation, deleting my message')));
			expect(found).toEqual([]);
			await close();
		});
	});
}
