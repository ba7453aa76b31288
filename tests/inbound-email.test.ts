import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useStorage } from '../src/lib/server/attachments';
import { loadConfig } from '../src/lib/server/config';
import { runMessageNotificationsCron } from '../src/lib/server/cron';
import {
	contracts,
	emailQueue,
	emailReplyTokens,
	messages,
	users
} from '../src/lib/server/db/schema';
import {
	bodySizeLimitWarning,
	receiveMimeRequest,
	receiveResendWebhook
} from '../src/lib/server/email/inbound-doors';
import { findReplyTarget, replyTokenFor } from '../src/lib/server/email/reply-tokens';
import { setEmailNotifications } from '../src/lib/server/email/unsubscribe';
import { listMessages } from '../src/lib/server/messaging/threads';
import { rowsOf } from '../src/lib/server/db';
import { EICAR, startClamd, type Clamd } from './helpers/clamd';
import { useTestDatabase } from './helpers/db';
import {
	exe,
	jpegWithGps,
	localTestStorage,
	pdf,
	png,
	type TestStorage
} from './helpers/attachments';
import {
	newWebhookSecret,
	signWebhook,
	startFakeResend,
	type ReceivedFile
} from './helpers/fake-resend';
import { makeWorld } from './helpers/fixtures';
import { send } from './helpers/messaging';

const t = useTestDatabase();
const DOMAIN = 'reply.parley.test';
const INBOUND_SECRET = 'inbound-secret-for-tests';
let fake: Awaited<ReturnType<typeof startFakeResend>>;
let webhookSecret: string;
let store: TestStorage;
beforeEach(async () => {
	fake = await startFakeResend();
	webhookSecret = newWebhookSecret();
	store = await localTestStorage();
	useStorage(store.storage);
});
afterEach(async () => {
	await fake.close();
	useStorage(undefined);
	await store.close();
});

function env(overrides: Record<string, string> = {}): Record<string, string> {
	return {
		NOTIFY_DELAY_SECONDS: '0',
		NOTIFY_COOLDOWN_SECONDS: '0',
		RESEND_API_KEY: 're_test_key',
		RESEND_BASE_URL: fake.baseUrl,
		EMAIL_FROM: 'Parley <notify@parley.test>',
		ORIGIN: 'https://parley.test',
		INBOUND_EMAIL_DOMAIN: DOMAIN,
		INBOUND_SECRET,
		RESEND_WEBHOOK_SECRET: webhookSecret,
		INBOUND_AUTHSERV_ID: 'mx.parley.test',
		ATTACHMENT_MAX_BYTES: String(200 * 1024),
		...overrides
	};
}
const config = (overrides?: Record<string, string>) => loadConfig(env(overrides));

type World = Awaited<ReturnType<typeof makeWorld>>;

/** The renter writes, the cron emails the provider: the digest as Resend received it. */
async function digestToProvider(world: World, body = 'Where do I pick up the key?') {
	await send(t.db, world.requester.id, world.contract.id, body);
	await runMessageNotificationsCron(t.db, env());
	const request = fake.requests.filter((r) => r.path === '/emails').at(-1)!;
	return request.body as { text: string; html: string; headers: Record<string, string> };
}

async function replyAddress(world: World): Promise<string> {
	return (await digestToProvider(world)).headers['Reply-To']!;
}

let n = 0;
function rawEmail(options: {
	from: string;
	to: string;
	text?: string;
	messageId?: string;
	subject?: string;
	headers?: string[];
	attachments?: {
		filename: string;
		type: string;
		content: Buffer;
		inline?: { cid: string };
	}[];
}): string {
	const boundary = 'b0undary-parley';
	const head = [
		`From: Paul <${options.from}>`,
		`To: ${options.to}`,
		`Subject: ${options.subject ?? 'Re: New message'}`,
		`Message-ID: ${options.messageId ?? `<reply-${++n}-${Date.now()}@mail.test>`}`,
		'Date: Sun, 29 Nov 2026 10:15:00 +0000',
		'MIME-Version: 1.0',
		...(options.headers ?? [])
	];
	const text =
		options.text ??
		'The key is in the lockbox, code 4821.\n\nOn Sun, Nov 29, 2026 at 10:02 AM Parley <notify@parley.test> wrote:\n> Where do I pick up the key?';
	if (!options.attachments?.length) {
		return [...head, 'Content-Type: text/plain; charset=utf-8', '', text, ''].join('\r\n');
	}
	const parts = [
		`--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text}\r\n`,
		...options.attachments.map(
			(a) =>
				`--${boundary}\r\nContent-Type: ${a.type}\r\n${a.inline ? `Content-ID: <${a.inline.cid}>\r\n` : ''}Content-Disposition: ${a.inline ? 'inline' : 'attachment'}; filename="${a.filename}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${a.content
					.toString('base64')
					.replace(/.{76}/g, '$&\r\n')}\r\n`
		)
	];
	return [
		...head,
		`Content-Type: multipart/mixed; boundary="${boundary}"`,
		'',
		...parts,
		`--${boundary}--`,
		''
	].join('\r\n');
}

async function mimeDoor(
	raw: string,
	options: { secret?: string; query?: string; overrides?: Record<string, string> } = {}
) {
	const url = new URL(`https://parley.test/api/inbound/mime${options.query ?? ''}`);
	const request = new Request(url, {
		method: 'POST',
		headers: {
			authorization: `Bearer ${options.secret ?? INBOUND_SECRET}`,
			'content-type': 'message/rfc822'
		},
		body: raw
	});
	const response = await receiveMimeRequest(t.db, request, url, config(options.overrides));
	return { status: response.status, body: await response.json() };
}

async function resendDoor(
	signed: { body: string; headers: Record<string, string> },
	overrides?: Record<string, string>
) {
	const request = new Request('https://parley.test/api/inbound/resend', {
		method: 'POST',
		headers: signed.headers,
		body: signed.body
	});
	const response = await receiveResendWebhook(t.db, request, config(overrides));
	return { status: response.status, body: await response.json() };
}

async function providerMessages(world: World) {
	return (await t.db.select().from(messages).where(eq(messages.senderId, world.provider.id)))
		.length;
}

async function conversation(world: World) {
	const page = await listMessages(t.db, world.requester.id, world.contract.id, { limit: 50 });
	return page!.messages;
}

/** The stored bytes of a message's attachment, read back through the storage. */
async function storedBytes(attachmentId: string): Promise<Buffer> {
	const [row] = rowsOf<{ storage_key: string }>(
		await t.db.execute(sql`select storage_key from attachments where id = ${attachmentId}`)
	);
	const stream = await store.storage.read(row!.storage_key);
	const chunks: Buffer[] = [];
	for await (const chunk of stream!) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}

/** A photo, a file over ATTACHMENT_MAX_BYTES, a program, and a signature's logo shown inline. */
async function replyFiles() {
	return {
		photo: await jpegWithGps(),
		big: Buffer.alloc(300 * 1024, 1),
		program: exe(),
		logo: await png(24, 24)
	};
}

async function expectPhotoPosted(world: World, text: string) {
	const last = (await conversation(world)).at(-1)!;
	expect(last.body).toBe(
		`${text}\n\n(2 attachments were not added: big.zip is over 200 KB; run.exe is not an allowed type)`
	);
	expect(last.via).toBe('email');
	expect(last.attachments).toHaveLength(1);
	expect(last.attachments[0]).toMatchObject({
		filename: 'photo.jpg',
		contentType: 'image/jpeg',
		// Turned upright per its EXIF orientation, then stored without EXIF (GPS included).
		width: 40,
		height: 60
	});
	const meta = await sharp(await storedBytes(last.attachments[0]!.id)).metadata();
	expect(meta.exif).toBeUndefined();
	// Nothing else was kept: the refused files and the logo left no upload behind.
	const rows = rowsOf<{ n: number }>(
		await t.db.execute(sql`select count(*)::int as n from attachments`)
	);
	expect(rows[0]!.n).toBe(1);
}

describe('outgoing notification emails', () => {
	it('carry a reply address per recipient and conversation, stored hashed, and thread headers', async () => {
		const world = await makeWorld(t.db);
		const first = await digestToProvider(world, 'First question');
		const address = first.headers['Reply-To']!;
		expect(address).toMatch(new RegExp(`^reply\\+[a-z2-7]{28}@${DOMAIN.replace(/\./g, '\\.')}$`));
		expect(first.text).toContain('Reply to this email to answer');
		expect(first.html).toContain('Reply to this email to answer');
		const root = first.headers['Message-ID']!;
		expect(root).toMatch(/^<conversation\.[0-9a-f-]{36}\.[0-9a-f-]{36}@reply\.parley\.test>$/);
		expect(first.headers['In-Reply-To']).toBeUndefined();

		const second = await digestToProvider(world, 'Second question');
		expect(second.headers['Reply-To']).toBe(address);
		expect(second.headers['Message-ID']).not.toBe(root);
		expect(second.headers['In-Reply-To']).toBe(root);
		expect(second.headers['References']).toBe(root);

		const token = address.slice('reply+'.length, address.indexOf('@'));
		const rows = await t.db.select().from(emailReplyTokens);
		expect(rows).toHaveLength(1);
		expect(JSON.stringify(rows)).not.toContain(token);
		expect(rows[0]!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
	});

	it('hand out addresses that all keep working when digests are built at the same time', async () => {
		const world = await makeWorld(t.db);
		// Two cron runs (or instances) building a digest for the same recipient and conversation:
		// every address they put in an email must keep working, not only the last one written.
		for (let round = 0; round < 3; round++) {
			const tokens = await Promise.all(
				Array.from({ length: 8 }, () => replyTokenFor(t.db, world.provider.id, world.contract.id))
			);
			for (const token of tokens) {
				expect(await findReplyTarget(t.db, token)).toMatchObject({
					userId: world.provider.id,
					contractId: world.contract.id
				});
			}
			expect(new Set(tokens).size).toBe(1);
			if (round === 1) await setEmailNotifications(t.db, world.provider.id, false);
			if (round === 1) await setEmailNotifications(t.db, world.provider.id, true);
		}
		expect(await t.db.select().from(emailReplyTokens)).toHaveLength(1);
	});

	it('have no reply address without INBOUND_EMAIL_DOMAIN', async () => {
		const world = await makeWorld(t.db);
		await send(t.db, world.requester.id, world.contract.id, 'Hello');
		await runMessageNotificationsCron(t.db, env({ INBOUND_EMAIL_DOMAIN: '' }));
		const body = fake.requests[0]!.body as { text: string; headers: Record<string, string> };
		expect(body.headers['Reply-To']).toBeUndefined();
		expect(body.headers['Message-ID']).toMatch(/@parley\.test>$/);
		expect(body.text).not.toContain('Reply to this email');
	});
});

describe('the MIME door', () => {
	it('posts the reply as the provider, via email, without the quote', async () => {
		const world = await makeWorld(t.db);
		const to = await replyAddress(world);
		const result = await mimeDoor(rawEmail({ from: world.provider.email.toUpperCase(), to }));
		expect(result).toMatchObject({ status: 200, body: { outcome: 'posted' } });
		const last = (await conversation(world)).at(-1)!;
		expect(last).toMatchObject({
			senderId: world.provider.id,
			body: 'The key is in the lockbox, code 4821.',
			via: 'email'
		});
	});

	it('posts a fixture reply (Outlook, signature without -- ) as its expected text', async () => {
		const world = await makeWorld(t.db);
		// The fixtures are signed by Paul Martin: the signature is known by the user's name.
		await t.db
			.update(users)
			.set({ displayName: 'Paul Martin' })
			.where(eq(users.id, world.provider.id));
		const to = await replyAddress(world);
		const token = to.slice('reply+'.length, to.indexOf('@'));
		const dir = join(process.cwd(), 'tests/fixtures/replies');
		const raw = readFileSync(join(dir, '03-outlook-desktop-en.eml'), 'utf8')
			.replaceAll('{TOKEN}', token)
			.replaceAll('reply.parley.example', DOMAIN)
			.replaceAll('paul@martincycles.example', world.provider.email);
		expect((await mimeDoor(raw)).body.outcome).toBe('posted');
		expect((await conversation(world)).at(-1)!.body).toBe(
			readFileSync(join(dir, '03-outlook-desktop-en.expected.txt'), 'utf8').trim()
		);
	});

	it('answers 401 to a wrong bearer and 503 when not configured, and posts nothing', async () => {
		const world = await makeWorld(t.db);
		const to = await replyAddress(world);
		const raw = rawEmail({ from: world.provider.email, to });
		expect((await mimeDoor(raw, { secret: 'wrong' })).status).toBe(401);
		expect((await mimeDoor(raw, { overrides: { INBOUND_SECRET: '' } })).status).toBe(503);
		expect(await providerMessages(world)).toBe(0);
	});

	it('drops a forged sender, and an envelope sender that is not the user', async () => {
		const world = await makeWorld(t.db);
		const to = await replyAddress(world);
		const forged = await mimeDoor(rawEmail({ from: world.stranger.email, to }));
		expect(forged).toMatchObject({ status: 200, body: { reason: 'sender_mismatch' } });
		const envelope = await mimeDoor(rawEmail({ from: world.provider.email, to }), {
			query: `?sender=${encodeURIComponent('attacker@evil.test')}`
		});
		expect(envelope.body.reason).toBe('sender_mismatch');
		// The requester's own address on the provider's token is forged too.
		const other = await mimeDoor(rawEmail({ from: world.requester.email, to }));
		expect(other.body.reason).toBe('sender_mismatch');
		expect((await conversation(world)).filter((m) => m.via === 'email')).toHaveLength(0);
	});

	it('drops a wrong token and a revoked one (emails turned off)', async () => {
		const world = await makeWorld(t.db);
		const to = await replyAddress(world);
		const wrong = to.replace(/\+[a-z2-7]{4}/, '+aaaa');
		expect((await mimeDoor(rawEmail({ from: world.provider.email, to: wrong }))).body.reason).toBe(
			'unknown_token'
		);
		expect(
			(await mimeDoor(rawEmail({ from: world.provider.email, to: 'someone@' + DOMAIN }))).body
				.reason
		).toBe('no_token');
		await setEmailNotifications(t.db, world.provider.id, false);
		expect((await mimeDoor(rawEmail({ from: world.provider.email, to }))).body.reason).toBe(
			'unknown_token'
		);
		// Turned on again: the old address stays dead, the next email carries a new one.
		await setEmailNotifications(t.db, world.provider.id, true);
		expect((await mimeDoor(rawEmail({ from: world.provider.email, to }))).body.reason).toBe(
			'unknown_token'
		);
		const fresh = await replyAddress(world);
		expect(fresh).not.toBe(to);
		expect((await mimeDoor(rawEmail({ from: world.provider.email, to: fresh }))).body.outcome).toBe(
			'posted'
		);
	});

	it('drops the reply of a suspended account', async () => {
		const world = await makeWorld(t.db);
		const to = await replyAddress(world);
		await t.db
			.update(users)
			.set({ suspendedAt: new Date() })
			.where(eq(users.id, world.provider.id));
		expect((await mimeDoor(rawEmail({ from: world.provider.email, to }))).body.reason).toBe(
			'unknown_token'
		);
	});

	it('drops a reply to a contract cancelled 40 days ago, and takes one cancelled 10 days ago', async () => {
		const world = await makeWorld(t.db);
		const to = await replyAddress(world);
		const cancelledAgo = (days: number) =>
			t.db
				.update(contracts)
				.set({ status: 'cancelled', updatedAt: sql`now() - make_interval(days => ${days})` })
				.where(eq(contracts.id, world.contract.id));
		await cancelledAgo(40);
		expect((await mimeDoor(rawEmail({ from: world.provider.email, to }))).body.reason).toBe(
			'unknown_token'
		);
		await cancelledAgo(10);
		expect((await mimeDoor(rawEmail({ from: world.provider.email, to }))).body.outcome).toBe(
			'posted'
		);
	});

	it('drops auto-replies and bounces', async () => {
		const world = await makeWorld(t.db);
		const to = await replyAddress(world);
		const from = world.provider.email;
		const cases: [Parameters<typeof rawEmail>[0], string][] = [
			[{ from, to, headers: ['Auto-Submitted: auto-replied'] }, 'auto_reply'],
			[{ from, to, headers: ['X-Autoreply: yes'] }, 'auto_reply'],
			[{ from, to, headers: ['Precedence: bulk'] }, 'auto_reply'],
			[{ from, to, subject: 'Out of Office: back on Monday' }, 'auto_reply'],
			[{ from, to, subject: 'Réponse automatique : absent' }, 'auto_reply'],
			[{ from: 'MAILER-DAEMON@mx.example.test', to }, 'bounce']
		];
		for (const [email, reason] of cases) {
			expect((await mimeDoor(rawEmail(email))).body.reason, reason).toBe(reason);
		}
		const report = rawEmail({ from, to }).replace(
			'Content-Type: text/plain; charset=utf-8',
			'Content-Type: multipart/report; report-type=delivery-status; boundary="r"'
		);
		expect((await mimeDoor(report)).body.reason).toBe('bounce');
		expect((await mimeDoor(rawEmail({ from, to }), { query: '?sender=' })).body.reason).toBe(
			'bounce'
		);
		expect(await providerMessages(world)).toBe(0);
	});

	it('posts a duplicate Message-ID once', async () => {
		const world = await makeWorld(t.db);
		const to = await replyAddress(world);
		const raw = rawEmail({ from: world.provider.email, to, messageId: '<same@mail.test>' });
		expect((await mimeDoor(raw)).body.outcome).toBe('posted');
		expect((await mimeDoor(raw)).body.outcome).toBe('duplicate');
		expect(await providerMessages(world)).toBe(1);
	});

	it('posts nothing for a retry after the idempotency window (dedupe kept INBOUND_DEDUPE_DAYS)', async () => {
		const world = await makeWorld(t.db);
		const to = await replyAddress(world);
		const raw = rawEmail({ from: world.provider.email, to, messageId: '<late-retry@mail.test>' });
		expect((await mimeDoor(raw)).body.outcome).toBe('posted');
		// Two days later the write path's 24-hour idempotency key has expired.
		await t.db.execute(
			sql`update message_idempotency_keys set created_at = now() - interval '2 days'`
		);
		expect((await mimeDoor(raw)).body.outcome).toBe('duplicate');
		expect(await providerMessages(world)).toBe(1);
		// The cron run forgets receipts older than INBOUND_DEDUPE_DAYS, and only those.
		await t.db.execute(
			sql`update inbound_email_receipts set received_at = now() - interval '10 days'`
		);
		await runMessageNotificationsCron(t.db, env({ INBOUND_DEDUPE_DAYS: '11' }));
		expect((await mimeDoor(raw)).body.outcome).toBe('duplicate');
		await runMessageNotificationsCron(t.db, env({ INBOUND_DEDUPE_DAYS: '9' }));
		expect((await mimeDoor(raw)).body.outcome).toBe('posted');
		expect(await providerMessages(world)).toBe(2);
	});

	it('does not post an empty reply, and tells the sender by email', async () => {
		const world = await makeWorld(t.db);
		const to = await replyAddress(world);
		const text = '\n\nSent from my iPhone\n\n> On 29 Nov 2026, Parley wrote:\n> Where is the key?';
		const result = await mimeDoor(rawEmail({ from: world.provider.email, to, text }));
		expect(result.body).toEqual({ outcome: 'not_posted', reason: 'empty' });
		expect(await providerMessages(world)).toBe(0);
		const [notice] = await t.db
			.select()
			.from(emailQueue)
			.where(
				and(eq(emailQueue.type, 'reply_not_posted'), eq(emailQueue.recipientId, world.provider.id))
			);
		expect(notice!.toAddress).toBe(world.provider.email);
		expect(notice!.text).toContain('nothing was posted');
	});

	it('takes a 10 MB email, naming the attachments it could not add in a note', async () => {
		const world = await makeWorld(t.db);
		const to = await replyAddress(world);
		const raw = rawEmail({
			from: world.provider.email,
			to,
			attachments: [
				{ filename: 'a.pdf', type: 'application/pdf', content: Buffer.alloc(7_400_000, 7) },
				{ filename: 'b.jpg', type: 'image/jpeg', content: Buffer.alloc(100_000, 0) }
			]
		});
		expect(raw.length).toBeGreaterThan(10_000_000);
		expect((await mimeDoor(raw)).body.outcome).toBe('posted');
		expect((await conversation(world)).at(-1)!.body).toBe(
			'The key is in the lockbox, code 4821.\n\n(2 attachments were not added: a.pdf is over 200 KB; b.jpg is not an allowed type)'
		);
		// Over INBOUND_MAX_BYTES: dropped (and answered 200), never half-read into a message.
		const big = await mimeDoor(raw, { overrides: { INBOUND_MAX_BYTES: '1048576' } });
		expect(big).toMatchObject({ status: 200, body: { reason: 'too_large' } });
		expect(await providerMessages(world)).toBe(1);
	});
	it("carries the email's attachments over as message attachments, naming the ones refused", async () => {
		const world = await makeWorld(t.db);
		const to = await replyAddress(world);
		const files = await replyFiles();
		const raw = rawEmail({
			from: world.provider.email,
			to,
			attachments: [
				{ filename: 'photo.jpg', type: 'image/jpeg', content: files.photo },
				{ filename: 'big.zip', type: 'application/zip', content: files.big },
				{ filename: 'run.exe', type: 'application/octet-stream', content: files.program },
				{ filename: 'logo.png', type: 'image/png', content: files.logo, inline: { cid: 'logo1' } }
			]
		});
		expect((await mimeDoor(raw)).body.outcome).toBe('posted');
		await expectPhotoPosted(world, 'The key is in the lockbox, code 4821.');
	});

	it("answers 413, not a quiet drop, when adapter-node's BODY_SIZE_LIMIT cut the email off", async () => {
		const url = new URL('https://parley.test/api/inbound/mime');
		// What adapter-node's body stream does past BODY_SIZE_LIMIT: it errors with status 413.
		const body = new ReadableStream<Uint8Array>({
			start(controller) {
				controller.error(Object.assign(new Error('Content-length exceeds limit'), { status: 413 }));
			}
		});
		const request = new Request(url, {
			method: 'POST',
			headers: { authorization: `Bearer ${INBOUND_SECRET}`, 'content-type': 'message/rfc822' },
			body,
			duplex: 'half'
		} as RequestInit);
		const response = await receiveMimeRequest(t.db, request, url, config());
		expect(response.status).toBe(413);
		expect(bodySizeLimitWarning(config(), undefined)).toContain('BODY_SIZE_LIMIT (512K)');
		expect(bodySizeLimitWarning(config(), '30M')).toBeNull();
		expect(bodySizeLimitWarning(config(), 'Infinity')).toBeNull();
		expect(bodySizeLimitWarning(config({ INBOUND_SECRET: '' }), undefined)).toBeNull();
	});

	it('does not post into a closed conversation: the files are removed, the sender told once', async () => {
		const world = await makeWorld(t.db);
		const to = await replyAddress(world);
		await t.db.execute(
			sql`update message_threads set status = 'closed' where contract_id = ${world.contract.id}`
		);
		const raw = rawEmail({
			from: world.provider.email,
			to,
			attachments: [{ filename: 'plan.pdf', type: 'application/pdf', content: pdf() }]
		});
		expect((await mimeDoor(raw)).body).toEqual({ outcome: 'not_posted', reason: 'closed' });
		expect((await mimeDoor(raw)).body.outcome).toBe('duplicate');
		expect(await providerMessages(world)).toBe(0);
		expect(await store.keys(world.contract.id)).toEqual([]);
		const notices = await t.db
			.select()
			.from(emailQueue)
			.where(eq(emailQueue.type, 'reply_not_posted'));
		expect(notices).toHaveLength(1);
	});

	it('posts a reply that is only a photo, and stores nothing for a duplicate', async () => {
		const world = await makeWorld(t.db);
		const to = await replyAddress(world);
		const raw = rawEmail({
			from: world.provider.email,
			to,
			text: '\n\nOn Sun, Nov 29, 2026 at 10:02 AM Parley <notify@parley.test> wrote:\n> Can you send a photo?',
			attachments: [{ filename: 'bike.png', type: 'image/png', content: await png(80, 60) }]
		});
		expect((await mimeDoor(raw)).body.outcome).toBe('posted');
		const last = (await conversation(world)).at(-1)!;
		expect(last.body).toBe('');
		expect(last.attachments.map((a) => a.filename)).toEqual(['bike.png']);
		expect((await mimeDoor(raw)).body.outcome).toBe('duplicate');
		const keys = await store.keys(world.contract.id);
		// The original and its two thumbnails, once.
		expect(keys).toHaveLength(3);
	});

	it('refuses mail whose DMARC failed per the receiving host, and only per that host', async () => {
		const world = await makeWorld(t.db);
		const to = await replyAddress(world);
		const domain = world.provider.email.split('@')[1];
		const failing = (host: string) => [
			`Authentication-Results: ${host}; spf=pass smtp.mailfrom=${world.provider.email}; dmarc=fail (p=reject) header.from=${domain}`
		];
		const dropped = await mimeDoor(
			rawEmail({ from: world.provider.email, to, headers: failing('mx.parley.test') })
		);
		expect(dropped).toMatchObject({ status: 200, body: { reason: 'auth_failed' } });
		// A header the sender wrote themselves (another authserv-id) decides nothing.
		expect(
			(
				await mimeDoor(
					rawEmail({ from: world.provider.email, to, headers: failing('mx.evil.test') })
				)
			).body.outcome
		).toBe('posted');
		// INBOUND_REQUIRE_AUTH=off reads no header; `pass` needs a trusted dmarc=pass.
		expect(
			(
				await mimeDoor(
					rawEmail({ from: world.provider.email, to, headers: failing('mx.parley.test') }),
					{ overrides: { INBOUND_REQUIRE_AUTH: 'off' } }
				)
			).body.outcome
		).toBe('posted');
		expect(
			(
				await mimeDoor(rawEmail({ from: world.provider.email, to }), {
					overrides: { INBOUND_REQUIRE_AUTH: 'pass' }
				})
			).body.reason
		).toBe('auth_failed');
		expect(
			(
				await mimeDoor(
					rawEmail({
						from: world.provider.email,
						to,
						headers: [`Authentication-Results: mx.parley.test; dmarc=pass header.from=${domain}`]
					}),
					{ overrides: { INBOUND_REQUIRE_AUTH: 'pass' } }
				)
			).body.outcome
		).toBe('posted');
		expect(await providerMessages(world)).toBe(3);
	});
});

describe('the Resend door', () => {
	async function receivedThroughResend(
		world: World,
		overrides: { message_id?: string; headers?: Record<string, string> } = {},
		files: ReceivedFile[] = [
			{ filename: 'plan.pdf', content_type: 'application/pdf', content: pdf('Pick-up plan') }
		]
	) {
		const to = await replyAddress(world);
		return fake.receive(
			{
				from: `Paul <${world.provider.email}>`,
				to: [to],
				subject: 'Re: New message',
				text: 'Yes, from 9 am.\n\nOn Sun, Nov 29, 2026 at 10:02 AM Parley <notify@parley.test> wrote:\n> Where?',
				html: null,
				headers: {
					'Message-ID': overrides.message_id ?? '<resend-reply@mail.test>',
					...overrides.headers
				},
				message_id: overrides.message_id ?? '<resend-reply@mail.test>'
			},
			files
		);
	}

	it('verifies the webhook, fetches the email through the SDK and posts it', async () => {
		const world = await makeWorld(t.db);
		const email = await receivedThroughResend(world);
		const result = await resendDoor(signWebhook(fake.receivedEvent(email), webhookSecret));
		expect(result).toMatchObject({ status: 200, body: { outcome: 'posted' } });
		expect(
			fake.requests.some(
				(r) => r.method === 'GET' && r.path.startsWith(`/emails/receiving/${email.id}`)
			)
		).toBe(true);
		expect((await conversation(world)).at(-1)).toMatchObject({
			senderId: world.provider.id,
			body: 'Yes, from 9 am.',
			via: 'email',
			attachments: [{ filename: 'plan.pdf', contentType: 'application/pdf' }]
		});
		// Resend retries the webhook: one message still.
		const again = await resendDoor(signWebhook(fake.receivedEvent(email), webhookSecret));
		expect(again.body.outcome).toBe('duplicate');
		expect(await providerMessages(world)).toBe(1);
	});

	it('refuses a bad signature and a webhook replayed after 10 minutes, fetching nothing', async () => {
		const world = await makeWorld(t.db);
		const email = await receivedThroughResend(world);
		const event = fake.receivedEvent(email);
		const bad = await resendDoor(signWebhook(event, newWebhookSecret()));
		expect(bad.status).toBe(401);
		const tampered = signWebhook(event, webhookSecret);
		tampered.body = tampered.body.replace(email.id, 'another-email');
		expect((await resendDoor(tampered)).status).toBe(401);
		const stale = await resendDoor(
			signWebhook(event, webhookSecret, { at: new Date(Date.now() - 10 * 60_000) })
		);
		expect(stale.status).toBe(401);
		expect(fake.requests.some((r) => r.path.startsWith('/emails/receiving'))).toBe(false);
		expect(await providerMessages(world)).toBe(0);
	});

	it('posts once when the same email comes through both doors', async () => {
		const world = await makeWorld(t.db);
		const email = await receivedThroughResend(world, { message_id: '<both-doors@mail.test>' });
		expect(
			(await resendDoor(signWebhook(fake.receivedEvent(email), webhookSecret))).body.outcome
		).toBe('posted');
		const raw = rawEmail({
			from: world.provider.email,
			to: email.to[0]!,
			messageId: '<both-doors@mail.test>',
			text: email.text!
		});
		expect((await mimeDoor(raw)).body.outcome).toBe('duplicate');
		expect(await providerMessages(world)).toBe(1);
	});

	it('drops an email Resend does not know, and answers 5xx when Resend fails', async () => {
		const world = await makeWorld(t.db);
		const email = await receivedThroughResend(world);
		const unknown = { ...fake.receivedEvent(email) };
		unknown.data = { ...unknown.data, email_id: 'no-such-email' };
		const gone = await resendDoor(signWebhook(unknown, webhookSecret));
		expect(gone).toMatchObject({ status: 200, body: { outcome: 'dropped' } });
		fake.script.push({ kind: 'status', status: 500 });
		const failed = await resendDoor(signWebhook(fake.receivedEvent(email), webhookSecret));
		expect(failed.status).toBe(503);
		expect(await providerMessages(world)).toBe(0);
		// Resend's retry then posts it.
		const retried = await resendDoor(signWebhook(fake.receivedEvent(email), webhookSecret));
		expect(retried.body.outcome).toBe('posted');
	});
	it("fetches the email's attachments through the SDK and carries them over, naming the refused", async () => {
		const world = await makeWorld(t.db);
		const files = await replyFiles();
		const email = await receivedThroughResend(world, {}, [
			{ filename: 'photo.jpg', content_type: 'image/jpeg', content: files.photo },
			{ filename: 'big.zip', content_type: 'application/zip', content: files.big },
			{ filename: 'run.exe', content_type: 'application/x-msdownload', content: files.program },
			{
				filename: 'logo.png',
				content_type: 'image/png',
				content: files.logo,
				content_id: 'logo1',
				content_disposition: 'inline'
			}
		]);
		const result = await resendDoor(signWebhook(fake.receivedEvent(email), webhookSecret));
		expect(result.body.outcome).toBe('posted');
		await expectPhotoPosted(world, 'Yes, from 9 am.');
		const asked = fake.requests.filter((r) => r.method === 'GET').map((r) => r.path);
		// Neither the file over the limit nor the small inline logo is fetched: the email's
		// listing gives their size and disposition.
		expect(asked.filter((p) => p.includes('/attachments/'))).toHaveLength(2);
		expect(asked.filter((p) => p.startsWith('/downloads/'))).toHaveLength(2);
	});

	it('refuses an email whose DMARC failed per the receiving host', async () => {
		const world = await makeWorld(t.db);
		const domain = world.provider.email.split('@')[1];
		const email = await receivedThroughResend(world, {
			headers: {
				'Authentication-Results': `mx.parley.test; dkim=fail header.d=${domain}; dmarc=fail header.from=${domain}`
			}
		});
		const result = await resendDoor(signWebhook(fake.receivedEvent(email), webhookSecret));
		expect(result.body).toEqual({ outcome: 'dropped', reason: 'auth_failed' });
		expect(fake.requests.some((r) => r.path.includes('/attachments'))).toBe(false);
		const off = await resendDoor(signWebhook(fake.receivedEvent(email), webhookSecret), {
			INBOUND_REQUIRE_AUTH: 'off'
		});
		expect(off.body.outcome).toBe('posted');
	});
});

describe('email attachments with ClamAV', () => {
	let clamd: Clamd;
	beforeAll(async () => {
		clamd = await startClamd();
	}, 90_000);
	afterAll(async () => {
		await clamd?.stop();
	});

	it('names an infected file in the note, and retries later when the scanner is down', async () => {
		const world = await makeWorld(t.db);
		const to = await replyAddress(world);
		const raw = rawEmail({
			from: world.provider.email,
			to,
			attachments: [
				{ filename: 'eicar.txt', type: 'text/plain', content: Buffer.from(EICAR) },
				{ filename: 'plan.pdf', type: 'application/pdf', content: pdf() }
			]
		});
		// The scanner cannot be reached: nothing is decided, the door answers 5xx (it throws).
		await expect(
			mimeDoor(raw, { overrides: { CLAMAV_SOCKET: `${clamd.socket}.missing` } })
		).rejects.toThrow();
		expect(await providerMessages(world)).toBe(0);
		expect(await store.keys(world.contract.id)).toEqual([]);
		// Retried with the scanner up: the clean file is added, the infected one named.
		expect((await mimeDoor(raw, { overrides: { CLAMAV_SOCKET: clamd.socket } })).body.outcome).toBe(
			'posted'
		);
		const last = (await conversation(world)).at(-1)!;
		expect(last.body).toBe(
			'The key is in the lockbox, code 4821.\n\n(1 attachment was not added: eicar.txt was refused by the malware scanner)'
		);
		expect(last.attachments.map((a) => a.filename)).toEqual(['plan.pdf']);
	});
});
