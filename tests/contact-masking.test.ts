import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rentOffering, transitionContract } from '../src/lib/server/contracts';
import { emailSettings } from '../src/lib/server/config';
import { rowsOf } from '../src/lib/server/db';
import { emailQueue, messages } from '../src/lib/server/db/schema';
import {
	editMessage,
	getMessageForViewer,
	listInbox,
	listMessages,
	searchMessages,
	toUIMessages
} from '../src/lib/server/messaging';
import { CONTACT_PLACEHOLDER } from '../src/lib/server/messaging/contact-masking';
import { processDueNotifications } from '../src/lib/server/messaging/notifications';
import { createOffering } from '../src/lib/server/offerings';
import { useTestDatabase } from './helpers/db';
import { makeWorld } from './helpers/fixtures';
import { send } from './helpers/messaging';

const t = useTestDatabase();

const PHONE = '+44 7700 900123';
const WITH_PHONE = `Happy to help, call me on ${PHONE} about the keys`;
const MASKED = `Happy to help, call me on ${CONTACT_PLACEHOLDER} about the keys`;

async function bodies(viewerId: string, contractId: string) {
	const page = await listMessages(t.db, viewerId, contractId, { limit: 50 });
	return page!.messages.filter((m) => m.senderRole !== 'system').map((m) => m.body);
}

describe('contact details while the rental is requested', () => {
	it('are hidden from the recipient and shown to the sender, with the original kept', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		const sent = await send(t.db, provider.id, contract.id, WITH_PHONE);
		expect(sent).toMatchObject({ body: WITH_PHONE, contactDetailsHidden: true, isOwn: true });

		expect(await bodies(provider.id, contract.id)).toEqual([WITH_PHONE]);
		expect(await bodies(requester.id, contract.id)).toEqual([MASKED]);
		const [row] = await t.db.select().from(messages).where(eq(messages.id, sent!.id));
		expect(row).toMatchObject({ body: WITH_PHONE, maskedBody: MASKED });

		// Live events carry the message as each viewer reads it.
		expect((await getMessageForViewer(t.db, requester.id, sent!.id))?.body).toBe(MASKED);
		expect((await getMessageForViewer(t.db, provider.id, sent!.id))?.body).toBe(WITH_PHONE);

		// Inbox previews.
		const theirs = await listInbox(t.db, requester.id, { limit: 10 });
		expect(theirs.threads[0]!.lastMessage!.body).toBe(MASKED);
		const mine = await listInbox(t.db, provider.id, { limit: 10 });
		expect(mine.threads[0]!.lastMessage!.body).toBe(WITH_PHONE);

		// The AI SDK mapping of the recipient's page.
		const page = await listMessages(t.db, requester.id, contract.id, { limit: 50 });
		const [ui] = toUIMessages(page!.messages, requester.id);
		expect(ui!.parts).toEqual([{ type: 'text', text: MASKED }]);
	});

	it('are not found by the recipient in search, and not shown in snippets', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		await send(t.db, provider.id, contract.id, 'Reach me at paul.keys@example.com about the keys');
		const hidden = await searchMessages(t.db, requester.id, { q: 'paul.keys', limit: 10 });
		expect(hidden!.messages).toHaveLength(0);
		const found = await searchMessages(t.db, requester.id, { q: 'keys', limit: 10 });
		expect(found!.messages).toHaveLength(1);
		expect(found!.messages[0]!.message.body).toBe(
			`Reach me at ${CONTACT_PLACEHOLDER} about the keys`
		);
		expect(JSON.stringify(found!.messages[0]!.highlights)).not.toContain('example.com');
		// The sender finds their own text.
		const own = await searchMessages(t.db, provider.id, { q: 'paul.keys', limit: 10 });
		expect(own!.messages).toHaveLength(1);
	});

	it('are hidden in the notification email', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		await send(t.db, requester.id, contract.id, 'Text me: 07700 900456, thanks');
		await processDueNotifications(
			t.db,
			{ delaySeconds: 0, cooldownSeconds: 900 },
			emailSettings({ ORIGIN: 'https://parley.test' }),
			Date.now() + 20_000
		);
		const [email] = await t.db.select().from(emailQueue);
		expect(email!.toAddress).toBe(provider.email);
		for (const part of [email!.html, email!.text]) {
			expect(part).not.toContain('900456');
			expect(part).toContain('contact details hidden until the rental is accepted');
		}
	});

	it('are hidden in the rental note sent with the request', async () => {
		const { requester, provider } = await makeWorld(t.db);
		const offering = await createOffering(t.db, provider.id, {
			name: 'Camera',
			description: 'A camera.',
			monthlyPrice: 5000
		});
		const contract = await rentOffering(t.db, requester.id, offering.id, {
			message: 'Is it free in June? jane@example.com'
		});
		expect(await bodies(provider.id, contract!.id)).toEqual([
			`Is it free in June? ${CONTACT_PLACEHOLDER}`
		]);
	});

	it('are decided again when the sender edits', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		const sent = await send(t.db, requester.id, contract.id, 'Is the box free next week?');
		expect(sent!.contactDetailsHidden).toBe(false);
		const edited = await editMessage(
			t.db,
			requester.id,
			sent!.id,
			'Is the box free next week? wa.me/447700900321'
		);
		expect(edited).toMatchObject({ contactDetailsHidden: true });
		expect(edited!.body).toContain('wa.me');
		expect(await bodies(provider.id, contract.id)).toEqual([
			`Is the box free next week? ${CONTACT_PLACEHOLDER}`
		]);
	});
});

describe('after acceptance', () => {
	it('new messages are not masked, earlier ones stay masked', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		await send(t.db, provider.id, contract.id, WITH_PHONE);
		await transitionContract(t.db, provider.id, contract.id, 'accept');
		await send(t.db, provider.id, contract.id, `Accepted! Again: ${PHONE}`);
		expect(await bodies(requester.id, contract.id)).toEqual([MASKED, `Accepted! Again: ${PHONE}`]);
	});

	it('parley_post_message keeps the masked text only while masking applies, and never posts without it then', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		const post = async (maskedBody: string | null) =>
			rowsOf<{ message: unknown }>(
				await t.db.execute(
					sql`select message from parley_post_message(${contract.id}::uuid, 'user', ${requester.id}::uuid, null, null, 'app', ${WITH_PHONE}, null, null, null, null::uuid[], 'until-accepted', ${maskedBody}, null, null, null)`
				)
			)[0]!;
		await expect(post(null)).rejects.toThrow();
		expect(await t.db.select().from(messages)).toHaveLength(0);
		await post(MASKED);
		await transitionContract(t.db, provider.id, contract.id, 'accept');
		await post(MASKED);
		const stored = await t.db
			.select({ maskedBody: messages.maskedBody })
			.from(messages)
			.where(eq(messages.senderRole, 'user'))
			.orderBy(messages.seq);
		expect(stored.map((m) => m.maskedBody)).toEqual([MASKED, null]);
	});
});

describe('CONTACT_MASKING', () => {
	it('off: nothing is hidden', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		await send(t.db, provider.id, contract.id, WITH_PHONE, { contactMasking: 'off' });
		expect(await bodies(requester.id, contract.id)).toEqual([WITH_PHONE]);
	});

	it('always: hidden after acceptance too', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		await transitionContract(t.db, provider.id, contract.id, 'accept');
		await send(t.db, provider.id, contract.id, WITH_PHONE, { contactMasking: 'always' });
		expect(await bodies(requester.id, contract.id)).toEqual([MASKED]);
	});

	it('system messages are never masked', async () => {
		const { requester, provider, contract } = await makeWorld(t.db);
		await transitionContract(t.db, provider.id, contract.id, 'accept');
		const page = await listMessages(t.db, requester.id, contract.id, { limit: 10 });
		expect(page!.messages.every((m) => !m.contactDetailsHidden)).toBe(true);
	});
});
