import { readFile } from 'node:fs/promises';
import { eq, sql } from 'drizzle-orm';
import ExifReader from 'exifreader';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { messageSchema, uploadedAttachmentSchema } from '../src/lib/schemas/messaging';
import {
	createAttachment,
	deleteUnattachedUploads,
	useStorage,
	type ClamavSettings
} from '../src/lib/server/attachments';
import { EICAR, startClamd, type Clamd } from './helpers/clamd';
import { attachments, emailQueue, messages } from '../src/lib/server/db/schema';
import { loadConfig } from '../src/lib/server/config';
import { processDueNotifications } from '../src/lib/server/messaging/notifications';
import { getAttachment, postAttachment } from '../src/lib/server/http/attachments-api';
import { getMessages, postMessage, removeMessage } from '../src/lib/server/http/messaging-api';
import type { SessionUser } from '../src/lib/server/auth';
import { listInbox, listMessages } from '../src/lib/server/messaging';
import {
	downloadEvent,
	exe,
	jpegWithGps,
	localTestStorage,
	pdf,
	png,
	pngBomb,
	s3TestStorage,
	uploadEvent,
	type FilePart,
	type TestStorage
} from './helpers/attachments';
import { useTestDatabase } from './helpers/db';
import { apiEvent, makeWorld } from './helpers/fixtures';

const t = useTestDatabase();
const HEIC_WITH_GPS = new URL('./fixtures/attachments/gps.heic', import.meta.url);
type World = Awaited<ReturnType<typeof makeWorld>>;

const STORAGES: [string, () => Promise<TestStorage>][] = [
	['local disk', localTestStorage],
	['S3 (s3rver)', s3TestStorage],
	['S3 (s3rver), S3_DOWNLOADS=redirect', () => s3TestStorage('redirect')]
];

describe.each(STORAGES)('attachments on %s', (name, open) => {
	let store: TestStorage;
	beforeAll(async () => {
		store = await open();
		useStorage(store.storage);
	});
	afterAll(async () => {
		useStorage(undefined);
		await store.close();
	});

	async function upload(user: SessionUser | null, contractId: string, part: FilePart) {
		const response = await postAttachment(t.db, uploadEvent(user, contractId, [part]));
		return { status: response.status, body: await response.json() };
	}

	async function uploadOk(user: SessionUser, contractId: string, part: FilePart) {
		const { status, body } = await upload(user, contractId, part);
		expect(status, JSON.stringify(body)).toBe(201);
		return uploadedAttachmentSchema.parse(body);
	}

	async function sendWith(
		user: SessionUser,
		contractId: string,
		attachmentIds: string[],
		body = ''
	) {
		const response = await postMessage(
			t.db,
			apiEvent(user, {
				method: 'POST',
				params: { id: contractId },
				json: { body, attachmentIds }
			})
		);
		return { status: response.status, body: await response.json() };
	}

	/**
	 * The bytes a download answers with. Local disk and S3 in proxy mode stream through the app
	 * with nosniff and a sandbox CSP; S3 in redirect mode answers a 302 to a presigned URL whose
	 * signature fixes the type and disposition, and the bytes come from s3rver with them.
	 */
	async function download(user: SessionUser | null, id: string, variant?: string) {
		const response = await getAttachment(t.db, downloadEvent(user, id, variant));
		if (response.status === 200) {
			expect(store.storage.downloadOrigin).toBeNull();
			expect(response.headers.get('x-content-type-options')).toBe('nosniff');
			expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
			expect(response.headers.get('content-disposition')).toMatch(/^(inline|attachment); /);
		}
		if (response.status !== 302) {
			expect(response.headers.get('location')).toBeNull();
			return { response, bytes: Buffer.from(await response.arrayBuffer()) };
		}
		expect(store.storage.downloadOrigin).not.toBeNull();
		expect(response.headers.get('cache-control')).toBe('private, no-store');
		const location = new URL(response.headers.get('location')!);
		expect(location.origin).toBe(store.storage.downloadOrigin);
		expect(location.searchParams.get('X-Amz-Expires')).toBe('300');
		const type = location.searchParams.get('response-content-type');
		const disposition = location.searchParams.get('response-content-disposition');
		expect(type).toMatch(/^(image|application|text)\//);
		expect(disposition).toMatch(/^(inline|attachment); /);
		const direct = await fetch(location);
		expect(direct.status).toBe(200);
		expect(direct.headers.get('content-type')).toBe(type);
		expect(direct.headers.get('content-disposition')).toBe(disposition);
		return { response: direct, bytes: Buffer.from(await direct.arrayBuffer()) };
	}

	async function countRows() {
		const [row] = await t.db.select({ n: sql<number>`count(*)::int` }).from(attachments);
		return row!.n;
	}

	it('takes a photo: re-encoded upright without EXIF or GPS, with WebP thumbnails, shown only once sent', async () => {
		const world = await makeWorld(t.db);
		const photo = await jpegWithGps(60, 40);
		const before = await sharp(photo).metadata();
		// The GPS IFD pointer (tag 0x8825) is in the photo's EXIF, in either byte order.
		const gpsTag = (exif: Buffer) =>
			exif.includes(Buffer.from([0x88, 0x25])) || exif.includes(Buffer.from([0x25, 0x88]));
		expect(gpsTag(before.exif!)).toBe(true);
		expect(before.exif).toBeDefined();
		expect(before.orientation).toBe(6);

		const uploaded = await uploadOk(world.requester, world.contract.id, {
			filename: 'pickup.jpg',
			content: photo,
			type: 'image/jpeg'
		});
		expect(uploaded).toMatchObject({
			filename: 'pickup.jpg',
			contentType: 'image/jpeg',
			status: 'ready'
		});

		// Before a message takes it, only its uploader can open it.
		expect((await getAttachment(t.db, downloadEvent(world.provider, uploaded.id))).status).toBe(
			404
		);
		expect((await download(world.requester, uploaded.id)).response.status).toBe(200);

		const sent = await sendWith(world.requester, world.contract.id, [uploaded.id]);
		expect(sent.status).toBe(201);
		const message = messageSchema.parse(sent.body);
		expect(message.body).toBe('');
		expect(message.attachments).toEqual([
			{
				id: uploaded.id,
				filename: 'pickup.jpg',
				contentType: 'image/jpeg',
				size: uploaded.size,
				width: 40,
				height: 60,
				thumbnailUrl: `/api/attachments/${uploaded.id}?variant=thumbnail`,
				url: `/api/attachments/${uploaded.id}`
			}
		]);

		const { response, bytes } = await download(world.provider, uploaded.id);
		expect(bytes.length).toBe(uploaded.size);
		const after = await sharp(bytes).metadata();
		expect(after.exif).toBeUndefined();
		expect(after.orientation).toBeUndefined();
		expect([after.width, after.height]).toEqual([40, 60]);
		expect(bytes.includes(Buffer.from('ParleyCam'))).toBe(false);
		expect(response.headers.get('content-type')).toBe('image/jpeg');
		expect(response.status).toBe(200);
		expect(response.headers.get('content-disposition')).toBe('inline; filename="pickup.jpg"');

		const thumb = await download(world.provider, uploaded.id, 'thumbnail');
		const thumbMeta = await sharp(thumb.bytes).metadata();
		expect(thumbMeta.format).toBe('webp');
		expect([thumbMeta.width, thumbMeta.height]).toEqual([40, 60]); // never enlarged

		const big = await uploadOk(world.requester, world.contract.id, {
			filename: 'wide.png',
			content: await png(2000, 1000)
		});
		await sendWith(world.requester, world.contract.id, [big.id], 'Wide one');
		for (const [variant, width] of [
			['thumbnail', 320],
			['preview', 1280]
		] as const) {
			const meta = await sharp((await download(world.provider, big.id, variant)).bytes).metadata();
			expect([meta.format, meta.width, meta.height]).toEqual(['webp', width, width / 2]);
		}

		// The reads show the same attachments.
		const page = await listMessages(t.db, world.provider.id, world.contract.id, { limit: 50 });
		expect(page!.messages.map((m) => m.attachments.map((a) => a.id))).toEqual([
			[uploaded.id],
			[big.id]
		]);
	});

	it('keeps a HEIC photo it cannot decode, with its EXIF (GPS) and XMP blanked and the picture untouched', async () => {
		const world = await makeWorld(t.db);
		// Made with Debian's exiftool and heif-enc: see tests/fixtures/attachments/README.md.
		const original = await readFile(HEIC_WITH_GPS);
		const before = ExifReader.load(original, { expanded: true });
		expect(before.gps?.Latitude).toBeCloseTo(48.8566, 3);
		expect(before.exif?.Make?.description).toBe('ParleyCam');
		expect(before.xmp?.description?.description).toBe('xmp secret');

		const uploaded = await uploadOk(world.requester, world.contract.id, {
			filename: 'IMG_0001.HEIC',
			content: original
		});
		expect(uploaded).toMatchObject({ contentType: 'image/heic', size: original.length });
		await sendWith(world.requester, world.contract.id, [uploaded.id], 'From my phone');
		const { response, bytes } = await download(world.provider, uploaded.id);
		expect(response.headers.get('content-type')).toBe('image/heic');
		expect(response.headers.get('content-disposition')).toBe(
			'attachment; filename="IMG_0001.HEIC"'
		);

		const after = ExifReader.load(bytes, { expanded: true });
		expect(after.gps).toBeUndefined();
		expect(after.exif ?? {}).toEqual({});
		expect(JSON.stringify(after)).not.toMatch(/ParleyCam|xmp secret|48\.85/);
		expect(bytes.includes(Buffer.from('ParleyCam'))).toBe(false);
		expect(bytes.includes(Buffer.from('xmp secret'))).toBe(false);
		// Same length, every offset valid; only the bytes from the EXIF item (its TIFF header
		// "MM\0*" less the 4-byte offset before it) to the end of the XMP packet changed, and
		// the file's boxes and the picture before them are byte for byte the same.
		expect(bytes.length).toBe(original.length);
		const exifStart = original.indexOf(Buffer.from('MM\0*')) - 4;
		const xmpEnd = original.indexOf("<?xpacket end='w'?>") + "<?xpacket end='w'?>".length;
		expect(exifStart).toBeGreaterThan(0);
		const changed = [...bytes.keys()].filter((i) => bytes[i] !== original[i]);
		expect(changed.length).toBeGreaterThan(100);
		expect(Math.min(...changed)).toBeGreaterThanOrEqual(exifStart);
		expect(Math.max(...changed)).toBeLessThan(xmpEnd);
		expect(bytes.subarray(0, exifStart).equals(original.subarray(0, exifStart))).toBe(true);

		// A HEIC whose item locations cannot be read is refused, not kept with its location.
		const broken = Buffer.from(original);
		broken[broken.indexOf(Buffer.from('iloc')) + 4] = 9; // an iloc version that does not exist
		const refused = await upload(world.requester, world.contract.id, {
			filename: 'broken.heic',
			content: broken
		});
		expect(refused.status).toBe(422);
		expect(refused.body.error.message).toMatch(/could not be removed from this HEIC photo/);
	});

	it('serves a document byte for byte, as a download, with its name in RFC 6266 form', async () => {
		const world = await makeWorld(t.db);
		const content = pdf();
		const uploaded = await uploadOk(world.provider, world.contract.id, {
			filename: 'Rechnung März.pdf',
			content,
			extended: true,
			type: 'text/html'
		});
		expect(uploaded.contentType).toBe('application/pdf');
		expect(uploaded.filename).toBe('Rechnung März.pdf');
		const sent = await sendWith(world.provider, world.contract.id, [uploaded.id], 'The invoice');
		expect(sent.status).toBe(201);
		const { response, bytes } = await download(world.requester, uploaded.id);
		expect(bytes.equals(content)).toBe(true);
		expect(response.headers.get('content-type')).toBe('application/pdf');
		expect(response.headers.get('content-disposition')).toBe(
			`attachment; filename="Rechnung M_rz.pdf"; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf`
		);
		// A document has no thumbnail.
		expect(
			(await getAttachment(t.db, downloadEvent(world.requester, uploaded.id, 'thumbnail'))).status
		).toBe(404);

		const csv = await uploadOk(world.provider, world.contract.id, {
			filename: 'km.csv',
			content: 'date,km\n2026-11-01,120\n'
		});
		expect(csv.contentType).toBe('text/csv');
		const text = await uploadOk(world.provider, world.contract.id, {
			filename: 'notes.jpg',
			content: 'Plain words, whatever the name says. Grüße.\n'
		});
		expect(text.contentType).toBe('text/plain');
	});

	it('refuses bad files with a clear reason and keeps nothing of them', async () => {
		const world = await makeWorld(t.db);
		const photo = await jpegWithGps(300, 200);
		const cases: [string, FilePart, number, RegExp][] = [
			['0 bytes', { filename: 'empty.txt', content: '' }, 422, /empty/],
			[
				'25 MB + 1 byte',
				{ filename: 'big.txt', content: Buffer.alloc(25 * 1024 * 1024 + 1, 0x61) },
				413,
				/at most 25 MB/
			],
			[
				'.exe renamed .jpg',
				{ filename: 'cat.jpg', content: exe(), type: 'image/jpeg' },
				422,
				/not allowed.*program/
			],
			[
				'HTML renamed .png',
				{
					filename: 'cat.png',
					content: '<!doctype html><script>alert(1)</script>',
					type: 'image/png'
				},
				422,
				/not allowed.*HTML/
			],
			[
				'SVG with a script',
				{
					filename: 'logo.svg',
					content:
						'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
				},
				422,
				/not allowed.*(HTML|SVG)/
			],
			[
				'SVG without an XML declaration',
				{ filename: 'logo.txt', content: '<svg onload="alert(1)"></svg>' },
				422,
				/not allowed.*SVG/
			],
			[
				'30,000 x 30,000 PNG bomb',
				{ filename: 'bomb.png', content: await pngBomb() },
				422,
				/30,000 × 30,000 pixels/
			],
			[
				'truncated JPEG',
				{ filename: 'cut.jpg', content: photo.subarray(0, Math.floor(photo.length / 2)) },
				422,
				/could not be read/
			],
			[
				'unknown binary',
				{ filename: 'x.bin', content: Buffer.from([0, 1, 2, 3, 255, 254, 0, 7]) },
				422,
				/not allowed/
			]
		];
		for (const [name, part, status, message] of cases) {
			const { status: got, body } = await upload(world.requester, world.contract.id, part);
			expect(got, name).toBe(status);
			expect(body.error.message, name).toMatch(message);
		}
		// Not multipart, no file field, two files.
		const notMultipart = await postAttachment(
			t.db,
			uploadEvent(world.requester, world.contract.id, {
				body: Buffer.from('{}'),
				contentType: 'application/json'
			})
		);
		expect(notMultipart.status).toBe(415);
		const wrongField = await upload(world.requester, world.contract.id, {
			filename: 'a.txt',
			content: 'hi',
			field: 'document'
		});
		expect(wrongField.status).toBe(400);
		const two = await postAttachment(
			t.db,
			uploadEvent(world.requester, world.contract.id, [
				{ filename: 'a.txt', content: 'one' },
				{ filename: 'b.txt', content: 'two' }
			])
		);
		expect(two.status).toBe(400);
		expect((await two.json()).error.message).toMatch(/one file per request/i);

		expect(await countRows()).toBe(0);
		expect(await store.keys(world.contract.id)).toEqual([]);
	});

	it('makes hostile filenames safe to show and to send in a header', async () => {
		const world = await makeWorld(t.db);
		const long = 'a'.repeat(300) + '.txt';
		const names: [string, string][] = [
			['../../etc/passwd.txt', 'passwd.txt'],
			['..\\..\\boot.txt', 'boot.txt'],
			['line\r\nSet-Cookie: x=1.txt', 'lineSet-Cookie_ x=1.txt'],
			['nul\0byte.txt', 'nulbyte.txt'],
			['invoice\u202Etxt.exe', 'invoicetxt.exe'],
			['.hidden.txt', 'hidden.txt'],
			[long, 'a'.repeat(196) + '.txt']
		];
		for (const [raw, expected] of names) {
			const uploaded = await uploadOk(world.requester, world.contract.id, {
				filename: raw,
				content: 'hello\n',
				extended: true
			});
			expect(uploaded.filename, JSON.stringify(raw)).toBe(expected);
			const { response } = await download(world.requester, uploaded.id);
			expect(response.headers.get('content-disposition')).toBe(
				`attachment; filename="${expected}"`
			);
		}
	});

	it('sends only unused uploads of the author to this contract, at most 10 a message', async () => {
		const world = await makeWorld(t.db);
		const other = await makeWorld(t.db);
		const file = (name: string) => ({ filename: name, content: `${name}\n` });
		const mine = await uploadOk(world.requester, world.contract.id, file('mine.txt'));
		const theirs = await uploadOk(world.provider, world.contract.id, file('theirs.txt'));
		const elsewhere = await uploadOk(other.requester, other.contract.id, file('elsewhere.txt'));
		const [n0] = await t.db.select({ n: sql<number>`count(*)::int` }).from(messages);

		for (const [name, ids] of [
			['another user’s upload', [theirs.id]],
			['another contract’s upload', [elsewhere.id]],
			['no such upload', [crypto.randomUUID()]],
			['a good one with a bad one', [mine.id, theirs.id]]
		] as const) {
			const refused = await sendWith(world.requester, world.contract.id, [...ids], 'See attached');
			expect(refused.status, name).toBe(422);
			expect(refused.body.error.code, name).toBe('attachment_not_usable');
		}
		const sent = await sendWith(world.requester, world.contract.id, [mine.id], 'See attached');
		expect(sent.status).toBe(201);
		const again = await sendWith(world.requester, world.contract.id, [mine.id], 'Again');
		expect(again.status).toBe(422);
		const [n1] = await t.db.select({ n: sql<number>`count(*)::int` }).from(messages);
		expect(n1!.n - n0!.n).toBe(1);

		// An 11th file is refused before anything is looked up.
		const eleven: string[] = [];
		for (let i = 0; i < 11; i++) {
			eleven.push((await uploadOk(world.requester, world.contract.id, file(`f${i}.txt`))).id);
		}
		const tooMany = await sendWith(world.requester, world.contract.id, eleven);
		expect(tooMany.status).toBe(400);
		expect(tooMany.body.error.message).toMatch(/at most 10 files/);
		const ten = await sendWith(world.requester, world.contract.id, eleven.slice(0, 10));
		expect(ten.status).toBe(201);
		expect(ten.body.attachments).toHaveLength(10);

		// Neither text nor files: nothing to send.
		const empty = await sendWith(world.requester, world.contract.id, []);
		expect(empty.status).toBe(400);
		expect(empty.body.error.message).toBe('Write a message before sending.');
	});

	it('keeps the files in the order the sender chose, not the order their uploads finished', async () => {
		const world = await makeWorld(t.db);
		const file = (name: string) => ({ filename: name, content: `${name}\n` });
		const first = await uploadOk(world.requester, world.contract.id, file('first.txt'));
		const second = await uploadOk(world.requester, world.contract.id, file('second.txt'));
		const third = await uploadOk(world.requester, world.contract.id, file('third.txt'));
		// The composer lists them as chosen; the second upload happened to finish first.
		const ids = [second.id, third.id, first.id];
		const sent = await sendWith(world.requester, world.contract.id, ids, 'In this order');
		expect(sent.status).toBe(201);
		expect(sent.body.attachments.map((a: { id: string }) => a.id)).toEqual(ids);
		const page = await listMessages(t.db, world.provider.id, world.contract.id, { limit: 1 });
		expect(page!.messages[0]!.attachments.map((a) => a.id)).toEqual(ids);
	});

	it('authorization: parties upload and download, a stranger gets 404, signed out 401', async () => {
		const world: World = await makeWorld(t.db);
		const part = { filename: 'a.txt', content: 'hello\n' };
		expect((await upload(null, world.contract.id, part)).status).toBe(401);
		expect((await upload(world.stranger, world.contract.id, part)).status).toBe(404);
		const big = { filename: 'b.txt', content: Buffer.alloc(2 * 1024 * 1024, 0x62) };
		// A stranger learns nothing, not even that the body is too big or badly typed.
		expect((await upload(world.stranger, world.contract.id, big)).status).toBe(404);
		const fromRequester = await uploadOk(world.requester, world.contract.id, part);
		const fromProvider = await uploadOk(world.provider, world.contract.id, part);
		await sendWith(world.requester, world.contract.id, [fromRequester.id]);
		await sendWith(world.provider, world.contract.id, [fromProvider.id]);
		for (const id of [fromRequester.id, fromProvider.id]) {
			for (const user of [world.requester, world.provider]) {
				expect((await download(user, id)).response.status).toBe(200);
			}
			for (const [user, status] of [
				[world.stranger, 404],
				[null, 401]
			] as const) {
				const refused = await getAttachment(t.db, downloadEvent(user, id));
				expect(refused.status).toBe(status);
				expect(refused.headers.get('location')).toBeNull();
			}
		}
		expect(
			(await getAttachment(t.db, downloadEvent(world.requester, crypto.randomUUID()))).status
		).toBe(404);
		expect(await countRows()).toBe(2);
	});

	it.runIf(name.includes('redirect'))(
		'redirect mode: a 5-minute link with the type and disposition the app would send',
		async () => {
			const world = await makeWorld(t.db);
			const doc = await uploadOk(world.provider, world.contract.id, {
				filename: 'Übergabe.txt',
				content: 'Keys handed over.\n'
			});
			await sendWith(world.provider, world.contract.id, [doc.id]);
			const response = await getAttachment(t.db, downloadEvent(world.requester, doc.id));
			expect(response.status).toBe(302);
			const location = new URL(response.headers.get('location')!);
			expect(location.pathname).toBe(`/parley-test/${world.contract.id}/${doc.id}/original`);
			expect(Object.fromEntries(location.searchParams)).toMatchObject({
				'X-Amz-Expires': '300',
				'response-content-type': 'text/plain; charset=utf-8',
				'response-content-disposition': `attachment; filename="_bergabe.txt"; filename*=UTF-8''%C3%9Cbergabe.txt`
			});
			// s3rver answers with those headers (it does not check V4 signatures; real S3 servers do).
			const { bytes } = await download(world.requester, doc.id);
			expect(bytes.toString()).toBe('Keys handed over.\n');
		}
	);

	it('deleting a message deletes its files; the cron run deletes uploads unattached for a day', async () => {
		const world = await makeWorld(t.db);
		const photo = await uploadOk(world.requester, world.contract.id, {
			filename: 'p.png',
			content: await png(50, 50)
		});
		const sent = await sendWith(world.requester, world.contract.id, [photo.id], 'Oops');
		expect(await store.keys(world.contract.id)).toHaveLength(3); // original and two thumbnails
		const removed = await removeMessage(
			t.db,
			apiEvent(world.requester, { method: 'DELETE', params: { id: sent.body.id } })
		);
		expect(removed.status).toBe(204);
		expect(await countRows()).toBe(0);
		expect(await store.keys(world.contract.id)).toEqual([]);
		expect((await getAttachment(t.db, downloadEvent(world.provider, photo.id))).status).toBe(404);
		const page = await getMessages(
			t.db,
			apiEvent(world.provider, { params: { id: world.contract.id } })
		);
		expect((await page.json()).messages[0].attachments).toEqual([]);

		const stale = await uploadOk(world.requester, world.contract.id, {
			filename: 's.txt',
			content: 'x\n'
		});
		const fresh = await uploadOk(world.requester, world.contract.id, {
			filename: 'f.txt',
			content: 'y\n'
		});
		await t.db
			.update(attachments)
			.set({ createdAt: new Date(Date.now() - 25 * 3600 * 1000) })
			.where(eq(attachments.id, stale.id));
		expect(await deleteUnattachedUploads(t.db)).toBe(1);
		const left = await t.db.select({ id: attachments.id }).from(attachments);
		expect(left.map((r) => r.id)).toEqual([fresh.id]);
		expect(await store.keys(world.contract.id)).toHaveLength(1);
	});

	it('names the files in the inbox preview and the notification email, never their contents', async () => {
		const world = await makeWorld(t.db);
		const a = await uploadOk(world.requester, world.contract.id, {
			filename: 'scratch.png',
			content: await png(40, 40)
		});
		await sendWith(world.requester, world.contract.id, [a.id]);
		let inbox = await listInbox(t.db, world.provider.id, { limit: 20 });
		expect(inbox.threads[0]!.lastMessage!.body).toBe('Photo');

		const secret = 'SECRET-CONTENTS-OF-THE-INVOICE';
		const b = await uploadOk(world.requester, world.contract.id, {
			filename: 'invoice.pdf',
			content: pdf(secret)
		});
		const c = await uploadOk(world.requester, world.contract.id, {
			filename: 'manual.txt',
			content: `${secret}\n`
		});
		await sendWith(world.requester, world.contract.id, [b.id, c.id], 'Here you go');
		inbox = await listInbox(t.db, world.provider.id, { limit: 20 });
		expect(inbox.threads[0]!.lastMessage!.body).toBe(
			'2 files: invoice.pdf, manual.txt · Here you go'
		);

		const config = loadConfig({ NOTIFY_DELAY_SECONDS: '0' });
		await processDueNotifications(t.db, config.notifications, config.email, Date.now() + 30_000);
		const [email] = await t.db.select().from(emailQueue);
		expect(email!.text).toContain('Photo');
		expect(email!.text).toContain('2 files: invoice.pdf, manual.txt · Here you go');
		expect(email!.text).not.toContain(secret);
		expect(email!.html).not.toContain(secret);
	});
});

describe('malware scanning with ClamAV', () => {
	let clamd: Clamd;
	let store: TestStorage;
	beforeAll(async () => {
		// Never skipped: .ci/run installs clamav-daemon, and a missing clamd fails here loudly.
		clamd = await startClamd();
		store = await localTestStorage();
	}, 90_000);
	afterAll(async () => {
		await clamd?.stop();
		await store?.close();
	});

	const limits = (clamav: ClamavSettings | null) => ({
		maxBytes: 25 * 1024 * 1024,
		maxPixels: 50_000_000,
		clamav
	});
	const request = (name: string, content: string | Buffer) =>
		uploadEvent(null, crypto.randomUUID(), [{ filename: name, content }]).request;

	it('refuses and logs the EICAR test file over the socket and over TCP; keeps clean files', async () => {
		const world = await makeWorld(t.db);
		const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
		for (const clamav of [
			{ socket: clamd.socket, timeoutMs: 10_000 },
			{ host: '127.0.0.1', port: clamd.port, timeoutMs: 10_000 }
		]) {
			await expect(
				createAttachment(
					t.db,
					world.requester.id,
					world.contract.id,
					request('eicar.txt', EICAR),
					limits(clamav),
					store.storage
				)
			).rejects.toMatchObject({
				status: 422,
				message: /malware scanner found Parley\.Test\.EICAR/
			});
			const clean = await createAttachment(
				t.db,
				world.requester.id,
				world.contract.id,
				request('clean.txt', 'Nothing to see.\n'),
				limits(clamav),
				store.storage
			);
			expect(clean?.status).toBe('ready');
		}
		expect(warn.mock.calls.flat().join('\n')).toMatch(/infected upload \(Parley\.Test\.EICAR/);
		warn.mockRestore();
		expect(await countRows()).toBe(2);
		expect(await store.keys(world.contract.id)).toHaveLength(2);
	});

	it('refuses uploads while the scanner cannot be reached (503), keeping nothing', async () => {
		const world = await makeWorld(t.db);
		const error = vi.spyOn(console, 'error').mockImplementation(() => {});
		await expect(
			createAttachment(
				t.db,
				world.requester.id,
				world.contract.id,
				request('a.txt', 'hello\n'),
				limits({ socket: `${clamd.socket}.missing`, timeoutMs: 2_000 }),
				store.storage
			)
		).rejects.toMatchObject({ status: 503 });
		error.mockRestore();
		expect(await countRows()).toBe(0);
	});

	async function countRows() {
		const [row] = await t.db.select({ n: sql<number>`count(*)::int` }).from(attachments);
		return row!.n;
	}
});
