import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useStorage } from '../src/lib/server/attachments';
import { attachments, messages, messageThreads } from '../src/lib/server/db/schema';
import { listMessages, sendFormMessage } from '../src/lib/server/messaging';
import { MESSAGE_MAX_LENGTH } from '../src/lib/message-rules';
import {
	exe,
	localTestStorage,
	pdf,
	png,
	s3TestStorage,
	type TestStorage
} from './helpers/attachments';
import { useTestDatabase } from './helpers/db';
import { makeWorld } from './helpers/fixtures';

// The composer without JavaScript: one multipart form post with the text and the files (the file
// input `files`), in the browser's order (the hidden key, the text, then the files). A send that
// is refused stores nothing, whatever refused it: the text, a file, the count, or the write.

const t = useTestDatabase();

type Part = { name: string; value: string } | { name: string; filename: string; content: Buffer };

/** A form post's body as a browser builds it, byte for byte. */
function formPost(parts: Part[]): Request {
	const boundary = `----parleyform${Math.random().toString(16).slice(2)}`;
	const chunks: Buffer[] = [];
	for (const part of parts) {
		const head =
			'filename' in part
				? `Content-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\nContent-Type: application/octet-stream`
				: `Content-Disposition: form-data; name="${part.name}"`;
		chunks.push(
			Buffer.from(`--${boundary}\r\n${head}\r\n\r\n`),
			'filename' in part ? part.content : Buffer.from(part.value),
			Buffer.from('\r\n')
		);
	}
	chunks.push(Buffer.from(`--${boundary}--\r\n`));
	const body = Buffer.concat(chunks);
	return new Request('http://localhost/dashboard/rentals/x/messages?/send', {
		method: 'POST',
		headers: {
			'content-type': `multipart/form-data; boundary=${boundary}`,
			'content-length': String(body.length)
		},
		body: new Uint8Array(body)
	});
}

const file = (filename: string, content: Buffer): Part => ({ name: 'files', filename, content });
const text = (body: string): Part[] => [
	{ name: 'idempotencyKey', value: crypto.randomUUID() },
	{ name: 'body', value: body }
];

describe.each([
	['local disk', localTestStorage],
	['S3 (s3rver)', s3TestStorage]
] as const)('the no-JavaScript form with files on %s', (_name, open) => {
	let store: TestStorage;
	beforeAll(async () => {
		store = await open();
		useStorage(store.storage);
	});
	afterAll(async () => {
		useStorage(undefined);
		await store.close();
	});

	async function countRows() {
		const [row] = await t.db.select({ n: sql<number>`count(*)::int` }).from(attachments);
		return row!.n;
	}

	it('sends the text and the files together', async () => {
		const world = await makeWorld(t.db);
		const result = await sendFormMessage(
			t.db,
			world.requester.id,
			world.contract.id,
			formPost([
				...text('Photo and invoice'),
				file('pickup.png', await png(60, 40)),
				file('invoice.pdf', pdf())
			])
		);
		expect(result).toMatchObject({ sent: expect.any(String) });
		const page = await listMessages(t.db, world.provider.id, world.contract.id, { limit: 10 });
		const [message] = page!.messages;
		expect(message!.body).toBe('Photo and invoice');
		expect(message!.attachments.map((a) => [a.filename, a.contentType])).toEqual([
			['pickup.png', 'image/png'],
			['invoice.pdf', 'application/pdf']
		]);
		expect(await store.keys(world.contract.id)).toHaveLength(4); // png + 2 thumbnails, pdf
	});

	it('a refused text keeps its words, says to attach the files again, and stores none of them', async () => {
		const world = await makeWorld(t.db);
		const tooLong = 'x'.repeat(MESSAGE_MAX_LENGTH + 1);
		const result = await sendFormMessage(
			t.db,
			world.requester.id,
			world.contract.id,
			formPost([...text(tooLong), file('pickup.png', await png(60, 40))])
		);
		expect(result).toMatchObject({ status: 400, body: tooLong });
		expect(await countRows()).toBe(0);
		expect(await store.keys(world.contract.id)).toEqual([]);
		expect(await t.db.select().from(messages)).toHaveLength(0);
		const refused = result as { error: string };
		expect(refused.error).toMatch(/at most 10,000 characters/);
		// A browser cannot fill a file input again: the message says so.
		expect(refused.error).toMatch(/attach the files again/i);

		// The text is checked before any file is read: a program after it is not what is refused.
		const first = await sendFormMessage(
			t.db,
			world.requester.id,
			world.contract.id,
			formPost([...text('bad \u0007 bell'), file('x.jpg', exe())])
		);
		expect(first).toMatchObject({ status: 400, body: 'bad \u0007 bell' });
		expect((first as { error: string }).error).toMatch(/control characters/);
		expect(await countRows()).toBe(0);
	});

	it('one refused file refuses the send, naming the file; the good files are not kept', async () => {
		const world = await makeWorld(t.db);
		const result = await sendFormMessage(
			t.db,
			world.requester.id,
			world.contract.id,
			formPost([
				...text('Two files'),
				file('fine.png', await png(60, 40)),
				file('holiday.jpg', exe())
			])
		);
		expect(result).toMatchObject({ status: 422, body: 'Two files' });
		expect((result as { error: string }).error).toMatch(
			/^holiday\.jpg: This file type is not allowed \(it is a program\)/
		);
		expect(await countRows()).toBe(0);
		expect(await store.keys(world.contract.id)).toEqual([]);
	});

	it('more than 10 files are refused before any is stored', async () => {
		const world = await makeWorld(t.db);
		const eleven = Array.from({ length: 11 }, (_, i) => file(`n${i}.txt`, Buffer.from(`${i}\n`)));
		const result = await sendFormMessage(
			t.db,
			world.requester.id,
			world.contract.id,
			formPost([...text('Many'), ...eleven])
		);
		expect(result).toMatchObject({ status: 400, body: 'Many' });
		expect((result as { error: string }).error).toMatch(/at most 10 files/);
		expect(await countRows()).toBe(0);
		expect(await store.keys(world.contract.id)).toEqual([]);
	});

	it('a send the conversation refuses (closed) removes the files it stored, in the same request', async () => {
		const world = await makeWorld(t.db);
		expect(
			await sendFormMessage(t.db, world.requester.id, world.contract.id, formPost(text('Hi')))
		).toMatchObject({ sent: expect.any(String) });
		await t.db.update(messageThreads).set({ status: 'closed' });
		const result = await sendFormMessage(
			t.db,
			world.requester.id,
			world.contract.id,
			formPost([...text('Late photo'), file('late.png', await png(30, 30))])
		);
		expect(result).toMatchObject({ status: 409, body: 'Late photo' });
		expect(await countRows()).toBe(0);
		expect(await store.keys(world.contract.id)).toEqual([]);
	});

	it('a stranger gets null (404) and nothing is stored', async () => {
		const world = await makeWorld(t.db);
		const result = await sendFormMessage(
			t.db,
			world.stranger.id,
			world.contract.id,
			formPost([...text('Not mine'), file('x.png', await png(20, 20))])
		);
		expect(result).toBeNull();
		expect(await countRows()).toBe(0);
		expect(await store.keys(world.contract.id)).toEqual([]);
	});
});
