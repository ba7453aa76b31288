import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { contentDisposition } from './storage';
import { receiveUpload, sanitizeFilename } from './upload';

const limits = { maxBytes: 1024 * 1024, maxPixels: 10_000_000 };

function request(filename: string, content: Buffer | string): Request {
	const form = new FormData();
	form.append(
		'file',
		new Blob([typeof content === 'string' ? content : new Uint8Array(content)]),
		filename
	);
	return new Request('http://localhost/upload', { method: 'POST', body: form });
}

describe('sanitizeFilename', () => {
	it('drops folders, control and bidi characters, leading dots; keeps the extension of a long name', () => {
		expect(sanitizeFilename('../../etc/passwd')).toBe('passwd');
		expect(sanitizeFilename('C:\\Users\\x\\photo.jpg')).toBe('photo.jpg');
		expect(sanitizeFilename('a\r\nb\0c.txt')).toBe('abc.txt');
		expect(sanitizeFilename('invoice\u202Egpj.exe')).toBe('invoicegpj.exe');
		expect(sanitizeFilename('...')).toBe('file');
		expect(sanitizeFilename('say "hi"?.txt')).toBe('say _hi__.txt');
		const long = sanitizeFilename('x'.repeat(300) + '.pdf');
		expect([...long]).toHaveLength(200);
		expect(long.endsWith('.pdf')).toBe(true);
	});
});

describe('contentDisposition', () => {
	it('gives an ASCII fallback and the UTF-8 name in filename*', () => {
		expect(contentDisposition('attachment', 'a.pdf')).toBe('attachment; filename="a.pdf"');
		expect(contentDisposition('inline', 'Straße (1).jpg')).toBe(
			`inline; filename="Stra_e (1).jpg"; filename*=UTF-8''Stra%C3%9Fe%20%281%29.jpg`
		);
	});
});

describe('receiveUpload', () => {
	it('streams a photo to disk, turns it upright and strips its metadata', async () => {
		const photo = await sharp({
			create: { width: 30, height: 20, channels: 3, background: '#c84' }
		})
			.jpeg()
			.withExif({ IFD0: { Make: 'Cam' } })
			.withMetadata({ orientation: 6 })
			.toBuffer();
		const upload = await receiveUpload(request('p.jpg', photo), limits);
		try {
			expect(upload).toMatchObject({ contentType: 'image/jpeg', width: 20, height: 30 });
			const meta = await sharp(await readFile(upload.file)).metadata();
			expect(meta.exif).toBeUndefined();
			expect(upload.thumbnails).not.toBeNull();
		} finally {
			await upload.cleanup();
		}
	});

	it('cuts off a file over the limit with 413', async () => {
		await expect(
			receiveUpload(request('big.txt', Buffer.alloc(limits.maxBytes + 1, 0x61)), limits)
		).rejects.toMatchObject({ status: 413 });
		const exact = await receiveUpload(
			request('ok.txt', Buffer.alloc(limits.maxBytes, 0x61)),
			limits
		);
		expect(exact.size).toBe(limits.maxBytes);
		await exact.cleanup();
	});
});
