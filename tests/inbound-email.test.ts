import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/lib/server/config';
import { runMessageNotificationsCron } from '../src/lib/server/cron';
import {
	contracts,
	emailQueue,
	emailReplyTokens,
	messages,
	users
} from '../src/lib/server/db/schema';
import { receiveMimeRequest, receiveResendWebhook } from '../src/lib/server/email/inbound-doors';
import { findReplyTarget, replyTokenFor } from '../src/lib/server/email/reply-tokens';
import { setEmailNotifications } from '../src/lib/server/email/unsubscribe';
import { listMessages } from '../src/lib/server/messaging/threads';
import { useTestDatabase } from './helpers/db';
import { newWebhookSecret, signWebhook, startFakeResend } from './helpers/fake-resend';
import { makeWorld } from './helpers/fixtures';
import { send } from './helpers/messaging';

const t = useTestDatabase();
const DOMAIN = 'reply.parley.test';
const INBOUND_SECRET = 'inbound-secret-for-tests';
let fake: Awaited<ReturnType<typeof startFakeResend>>;
let webhookSecret: string;
beforeEach(async () => {
	fake = await startFakeResend();
	webhookSecret = newWebhookSecret();
});
afterEach(async () => {
	await fake.close();
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
	attachments?: { filename: string; type: string; content: Buffer }[];
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
				`--${boundary}\r\nContent-Type: ${a.type}\r\nContent-Disposition: attachment; filename="${a.filename}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${a.content
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

async function resendDoor(signed: { body: string; headers: Record<string, string> }) {
	const request = new Request('https://parley.test/api/inbound/resend', {
		method: 'POST',
		headers: signed.headers,
		body: signed.body
	});
	const response = await receiveResendWebhook(t.db, request, config());
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

	it('takes a 10 MB email, naming its attachments in a note', async () => {
		const world = await makeWorld(t.db);
		const to = await replyAddress(world);
		const raw = rawEmail({
			from: world.provider.email,
			to,
			attachments: [
				{ filename: 'a.pdf', type: 'application/pdf', content: Buffer.alloc(7_400_000, 7) },
				{ filename: 'b.jpg', type: 'image/jpeg', content: Buffer.alloc(100_000, 9) }
			]
		});
		expect(raw.length).toBeGreaterThan(10_000_000);
		expect((await mimeDoor(raw)).body.outcome).toBe('posted');
		expect((await conversation(world)).at(-1)!.body).toBe(
			'The key is in the lockbox, code 4821.\n\n(2 attachments not included: a.pdf, b.jpg)'
		);
		// Over INBOUND_MAX_BYTES: dropped (and answered 200), never half-read into a message.
		const big = await mimeDoor(raw, { overrides: { INBOUND_MAX_BYTES: '1048576' } });
		expect(big).toMatchObject({ status: 200, body: { reason: 'too_large' } });
		expect(await providerMessages(world)).toBe(1);
	});
});

describe('the Resend door', () => {
	async function receivedThroughResend(world: World, overrides: { message_id?: string } = {}) {
		const to = await replyAddress(world);
		return fake.receive({
			from: `Paul <${world.provider.email}>`,
			to: [to],
			subject: 'Re: New message',
			text: 'Yes, from 9 am.\n\nOn Sun, Nov 29, 2026 at 10:02 AM Parley <notify@parley.test> wrote:\n> Where?',
			html: null,
			headers: { 'Message-ID': overrides.message_id ?? '<resend-reply@mail.test>' },
			message_id: overrides.message_id ?? '<resend-reply@mail.test>',
			attachments: [
				{
					id: 'att_1',
					filename: 'plan.pdf',
					size: 1200,
					content_type: 'application/pdf',
					content_id: null,
					content_disposition: 'attachment'
				}
			]
		});
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
			body: 'Yes, from 9 am.\n\n(1 attachment not included: plan.pdf)',
			via: 'email'
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
});
