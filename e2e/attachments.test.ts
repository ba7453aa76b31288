import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import sharp from 'sharp';
import { AuthPages, ConversationPage, DEMO_RENTAL_ID } from './pages';

// Rita sends a photo and a PDF by dragging them onto the conversation; Paul sees the thumbnail
// arrive live, opens it in the lightbox and downloads the PDF, byte for byte. Without
// JavaScript, the composer's file input sends text and files in one form post.

const CONVERSATION = `/dashboard/rentals/${DEMO_RENTAL_ID}/messages`;
const LIVE = { timeout: 5_000 };

async function photo(label: string): Promise<Buffer> {
	return sharp({
		create: { width: 900, height: 600, channels: 3, background: { r: 30, g: 140, b: 90 } }
	})
		.composite([
			{
				input: Buffer.from(
					`<svg width="900" height="600"><text x="50" y="300" font-size="60">${label}</text></svg>`
				)
			}
		])
		.jpeg()
		.toBuffer();
}

function pdf(text: string): Buffer {
	return Buffer.from(
		`%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% ${text}\ntrailer << /Root 1 0 R >>\n%%EOF\n`,
		'latin1'
	);
}

/** Drops files on the conversation as a browser does: a DataTransfer made in the page. */
async function dropFiles(page: Page, files: { name: string; type: string; bytes: Buffer }[]) {
	const transfer = await page.evaluateHandle(
		(list) => {
			const dt = new DataTransfer();
			for (const f of list) {
				const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
				dt.items.add(new File([bytes], f.name, { type: f.type }));
			}
			return dt;
		},
		files.map((f) => ({ name: f.name, type: f.type, base64: f.bytes.toString('base64') }))
	);
	const target = page.locator('section.conversation');
	await target.dispatchEvent('dragenter', { dataTransfer: transfer });
	await target.dispatchEvent('dragover', { dataTransfer: transfer });
	await target.dispatchEvent('drop', { dataTransfer: transfer });
}

test('Rita drags a photo and a PDF in; Paul sees the thumbnail live, opens it, downloads the PDF', async ({
	browser
}) => {
	const ritaContext = await browser.newContext();
	const paulContext = await browser.newContext({ acceptDownloads: true });
	const rita = await ritaContext.newPage();
	const paul = await paulContext.newPage();
	await new AuthPages(rita).logIn('renter@example.com');
	await new AuthPages(paul).logIn('provider@example.com');
	await paul.goto(CONVERSATION);
	await rita.goto(CONVERSATION);
	await rita.locator('html[data-hydrated]').waitFor();

	const stamp = Date.now();
	const invoice = pdf(`invoice ${stamp}`);
	await dropFiles(rita, [
		{ name: `pickup-${stamp}.jpg`, type: 'image/jpeg', bytes: await photo('pickup') },
		{ name: `invoice-${stamp}.pdf`, type: 'application/pdf', bytes: invoice }
	]);
	const chips = rita.getByTestId('attachment-chip');
	await expect(chips).toHaveCount(2);
	await expect(chips.first()).toContainText(`pickup-${stamp}.jpg`);
	await expect(chips.nth(1)).toContainText(`invoice-${stamp}.pdf`);
	// Each chip shows its upload, then the Send button is free again.
	await expect(rita.getByRole('button', { name: 'Send' })).toBeEnabled();
	await expect(rita.locator('.chip progress')).toHaveCount(0);

	const chat = new ConversationPage(rita);
	await chat.send(`Condition photo and the invoice ${stamp}`);
	await expect(chips).toHaveCount(0);
	const mine = chat.lastMessage();
	await expect(mine).toContainText(`invoice ${stamp}`);
	await expect(mine.getByTestId('attachment-thumbnail')).toHaveCount(1);

	// Paul: live, without a reload.
	const theirs = new ConversationPage(paul).lastMessage();
	await expect(theirs).toContainText(`invoice ${stamp}`, LIVE);
	const thumb = theirs.getByTestId('attachment-thumbnail').locator('img');
	await expect(thumb).toBeVisible();
	await expect
		.poll(() => thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
		.toBe(320);

	// The lightbox opens full size and closes with Escape.
	await theirs.getByTestId('attachment-thumbnail').click();
	const lightbox = theirs.getByTestId('lightbox');
	await expect(lightbox).toBeVisible();
	await expect(lightbox.locator('img')).toHaveAttribute('src', /variant=preview/);
	await paul.keyboard.press('Escape');
	await expect(lightbox).toBeHidden();

	// The PDF downloads byte for byte.
	const card = theirs.getByTestId('attachment-file');
	await expect(card).toContainText(`invoice-${stamp}.pdf`);
	const [download] = await Promise.all([paul.waitForEvent('download'), card.click()]);
	expect(download.suggestedFilename()).toBe(`invoice-${stamp}.pdf`);
	expect((await readFile((await download.path())!)).equals(invoice)).toBe(true);

	await ritaContext.close();
	await paulContext.close();
});

/** Pastes files into the message box as a browser does: a paste event carrying a DataTransfer. */
async function pasteFiles(page: Page, files: { name: string; type: string; bytes: Buffer }[]) {
	await page.getByLabel('Message', { exact: true }).evaluate(
		(field, list) => {
			const dt = new DataTransfer();
			for (const f of list) {
				const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
				dt.items.add(new File([bytes], f.name, { type: f.type }));
			}
			field.focus();
			field.dispatchEvent(
				new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true })
			);
		},
		files.map((f) => ({ name: f.name, type: f.type, base64: f.bytes.toString('base64') }))
	);
}

test('Rita pastes two photos into the composer; the lightbox steps between them with the arrow keys', async ({
	page
}) => {
	await new AuthPages(page).logIn('renter@example.com');
	await page.goto(CONVERSATION);
	await page.locator('html[data-hydrated]').waitFor();
	const stamp = Date.now().toString(36);
	const first = `front-${stamp}.jpg`;
	const second = `back-${stamp}.jpg`;
	await pasteFiles(page, [
		{ name: first, type: 'image/jpeg', bytes: await photo('front') },
		{ name: second, type: 'image/jpeg', bytes: await photo('back') }
	]);
	const chips = page.getByTestId('attachment-chip');
	await expect(chips).toHaveCount(2);
	await expect(chips.first()).toContainText(first);
	await expect(chips.first().locator('img')).toHaveAttribute('src', /^blob:/);
	// Pasting files does not paste their names as text.
	await expect(page.getByLabel('Message', { exact: true })).toHaveValue('');
	await expect(page.getByRole('button', { name: 'Send' })).toBeEnabled();
	await expect(page.locator('.chip progress')).toHaveCount(0);

	const chat = new ConversationPage(page);
	await chat.send(`Both sides ${stamp}`);
	const mine = chat.lastMessage();
	await expect(mine).toContainText(`Both sides ${stamp}`);
	const thumbnails = mine.getByTestId('attachment-thumbnail');
	await expect(thumbnails).toHaveCount(2);

	await thumbnails.first().click();
	// Each message's photos have their own lightbox.
	const lightbox = mine.getByTestId('lightbox');
	await expect(lightbox).toBeVisible();
	await expect(lightbox).toHaveAttribute('aria-label', `Photo ${first}`);
	await expect(lightbox).toContainText('1 / 2');
	const shown = lightbox.locator('img');
	const firstSrc = await shown.getAttribute('src');
	expect(firstSrc).toMatch(/variant=preview/);

	await page.keyboard.press('ArrowRight');
	await expect(lightbox).toHaveAttribute('aria-label', `Photo ${second}`);
	await expect(lightbox).toContainText('2 / 2');
	await expect(shown).toHaveAttribute('alt', second);
	await expect(shown).not.toHaveAttribute('src', firstSrc!);
	await expect
		.poll(() => shown.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
		.toBe(900);
	// Past the last photo it wraps around, and back.
	await page.keyboard.press('ArrowRight');
	await expect(lightbox).toHaveAttribute('aria-label', `Photo ${first}`);
	await page.keyboard.press('ArrowLeft');
	await expect(lightbox).toHaveAttribute('aria-label', `Photo ${second}`);
	await page.keyboard.press('Escape');
	await expect(lightbox).toBeHidden();
});

test('a refused file says why in its chip, and is not sent', async ({ page }) => {
	await new AuthPages(page).logIn('renter@example.com');
	await page.goto(CONVERSATION);
	await page.locator('html[data-hydrated]').waitFor();
	await page.getByTestId('attach-input').setInputFiles({
		name: 'page.png',
		mimeType: 'image/png',
		buffer: Buffer.from('<!doctype html><script>alert(1)</script>')
	});
	const chip = page.getByTestId('attachment-chip');
	await expect(chip).toContainText('This file type is not allowed');
	await expect(page.getByRole('button', { name: 'Send' })).toBeDisabled();
	await chip.getByRole('button', { name: 'Remove page.png' }).click();
	await expect(chip).toHaveCount(0);
});

test('without JavaScript the composer sends text and files together', async ({ browser }) => {
	const context = await browser.newContext({ javaScriptEnabled: false });
	const page = await context.newPage();
	await new AuthPages(page, false).logIn('renter@example.com');
	await page.goto(CONVERSATION);
	const stamp = Date.now();
	await page.getByLabel('Message', { exact: true }).fill(`No-JS files ${stamp}`);
	await page.getByLabel('Attach files').setInputFiles([
		{ name: `nojs-${stamp}.jpg`, mimeType: 'image/jpeg', buffer: await photo('nojs') },
		{
			name: `notes-${stamp}.txt`,
			mimeType: 'text/plain',
			buffer: Buffer.from('Keys under the mat.\n')
		}
	]);
	await page.getByRole('button', { name: 'Send' }).click();
	const message = page.getByTestId('message').filter({ hasText: `No-JS files ${stamp}` });
	await expect(message).toHaveCount(1);
	await expect(message.getByTestId('attachment-thumbnail')).toHaveCount(1);
	await expect(message.getByTestId('attachment-file')).toContainText(`notes-${stamp}.txt`);
	await context.close();
});

test('without JavaScript a refused file keeps the text and says to attach the files again', async ({
	browser
}) => {
	const context = await browser.newContext({ javaScriptEnabled: false });
	const page = await context.newPage();
	await new AuthPages(page, false).logIn('renter@example.com');
	await page.goto(CONVERSATION);
	const stamp = Date.now().toString(36);
	const text = `Refused no-JS files ${stamp}`;
	await page.getByLabel('Message', { exact: true }).fill(text);
	await page.getByLabel('Attach files').setInputFiles([
		{ name: `fine-${stamp}.txt`, mimeType: 'text/plain', buffer: Buffer.from('Fine.\n') },
		{
			name: `page-${stamp}.png`,
			mimeType: 'image/png',
			buffer: Buffer.from('<!doctype html><script>alert(1)</script>')
		}
	]);
	await page.getByRole('button', { name: 'Send' }).click();
	const error = page.locator('#composer-error');
	await expect(error).toContainText(`page-${stamp}.png: This file type is not allowed`);
	await expect(error).toContainText('Your text is kept; attach the files again.');
	await expect(page.getByLabel('Message', { exact: true })).toHaveValue(text);
	await expect(page.getByTestId('message').filter({ hasText: text })).toHaveCount(0);
	await context.close();
});
