import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import S3rver from 's3rver';
import sharp from 'sharp';
import { AuthPages, ConversationPage, DEMO_RENTAL_ID } from './pages';

// S3_DOWNLOADS=redirect in a real browser: a production server of its own (fresh PGlite, the demo
// world) keeps uploads in s3rver and answers downloads with a redirect to it. The thumbnail must
// show under the page's CSP (its img-src names s3rver's origin) and a PDF must still download
// under its name (the disposition is signed into the link).

const BUCKET = 'parley-e2e';
const CONVERSATION = `/dashboard/rentals/${DEMO_RENTAL_ID}/messages`;

let dir: string;
let s3: S3rver;
let s3Origin: string;
let server: ChildProcess;
let origin: string;

async function freePort(): Promise<number> {
	const probe = createServer();
	await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
	const { port } = probe.address() as { port: number };
	await new Promise((resolve) => probe.close(resolve));
	return port;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
		child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${args} ${code}`))));
	});
}

test.beforeAll(async () => {
	test.setTimeout(180_000);
	dir = await mkdtemp(path.join(tmpdir(), 'parley-e2e-s3-'));
	s3 = new S3rver({
		address: '127.0.0.1',
		port: 0,
		silent: true,
		directory: path.join(dir, 's3'),
		configureBuckets: [{ name: BUCKET }]
	});
	const { port: s3Port } = await s3.run();
	s3Origin = `http://127.0.0.1:${s3Port}`;
	const port = await freePort();
	origin = `http://127.0.0.1:${port}`;
	const env: NodeJS.ProcessEnv = {
		PATH: process.env.PATH,
		NODE_ENV: 'production',
		HOST: '127.0.0.1',
		PORT: String(port),
		ORIGIN: origin,
		APP_SECRET: 'e2e-app-secret-of-at-least-32-characters',
		PGLITE_DATA_DIR: path.join(dir, 'pglite'),
		BODY_SIZE_LIMIT: '300M',
		S3_BUCKET: BUCKET,
		S3_ENDPOINT: s3Origin,
		S3_FORCE_PATH_STYLE: 'true',
		S3_ACCESS_KEY_ID: 'S3RVER',
		S3_SECRET_ACCESS_KEY: 'S3RVER',
		S3_DOWNLOADS: 'redirect'
	};
	await run(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'scripts/seed.ts'], env);
	server = spawn(process.execPath, ['build'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
	await expect
		.poll(
			() =>
				fetch(`${origin}/login`).then(
					(r) => r.status,
					() => 0
				),
			{ timeout: 120_000 }
		)
		.toBe(200);
});

test.afterAll(async () => {
	// The server closes its database before the folder goes.
	if (server && server.exitCode === null) {
		const exited = new Promise((resolve) => server.once('exit', resolve));
		server.kill('SIGTERM');
		await exited;
	}
	await s3?.close();
	await rm(dir, { recursive: true, force: true });
});

test('with S3_DOWNLOADS=redirect the thumbnail shows from the bucket and a PDF downloads by name', async ({
	browser
}) => {
	const context = await browser.newContext({ baseURL: origin, acceptDownloads: true });
	const page = await context.newPage();
	const refused: string[] = [];
	page.on('console', (m) => {
		if (/Content Security Policy/i.test(m.text())) refused.push(m.text());
	});
	await new AuthPages(page).logIn('renter@example.com');
	const response = await page.goto(CONVERSATION);
	// Soft: without it the thumbnail below must fail to show, which is the point.
	expect
		.soft(response!.headers()['content-security-policy'])
		.toMatch(new RegExp(`img-src 'self' data: blob: ${s3Origin};`));
	await page.locator('html[data-hydrated]').waitFor();

	const stamp = Date.now();
	const photo = await sharp({
		create: { width: 900, height: 600, channels: 3, background: { r: 30, g: 140, b: 90 } }
	})
		.jpeg()
		.toBuffer();
	const invoice = Buffer.from(`%PDF-1.4\n% invoice ${stamp}\ntrailer << >>\n%%EOF\n`, 'latin1');
	await page.getByTestId('attach-input').setInputFiles([
		{ name: `pickup-${stamp}.jpg`, mimeType: 'image/jpeg', buffer: photo },
		{ name: `invoice-${stamp}.pdf`, mimeType: 'application/pdf', buffer: invoice }
	]);
	await expect(page.locator('.chip progress')).toHaveCount(0);
	const fromBucket = page.waitForResponse(
		(r) => r.url().startsWith(`${s3Origin}/${BUCKET}/`) && r.url().includes('/thumbnail.webp?')
	);
	const chat = new ConversationPage(page);
	await chat.send(`Photo and invoice ${stamp}`);
	const mine = chat.lastMessage();
	const thumb = mine.getByTestId('attachment-thumbnail').locator('img');
	await expect(thumb).toBeVisible();
	await expect
		.poll(() => thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
		.toBe(320);
	const bucketAnswer = await fromBucket;
	expect(bucketAnswer.status()).toBe(200);
	expect(bucketAnswer.url()).toContain('X-Amz-Expires=300');
	expect(bucketAnswer.headers()['content-type']).toBe('image/webp');

	const card = mine.getByTestId('attachment-file');
	const [download] = await Promise.all([page.waitForEvent('download'), card.click()]);
	expect(download.suggestedFilename()).toBe(`invoice-${stamp}.pdf`);
	expect((await readFile((await download.path())!)).equals(invoice)).toBe(true);
	expect(refused).toEqual([]);
	await context.close();
});
