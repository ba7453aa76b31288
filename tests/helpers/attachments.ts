import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import sharp from 'sharp';
import type { SessionUser } from '../../src/lib/server/auth';
import { LocalStorage, S3Storage, type AttachmentStorage } from '../../src/lib/server/attachments';
import type { ApiEvent } from '../../src/lib/server/http/endpoint';

// The attachment suite runs on both storages: a temporary folder, and a real S3-compatible HTTP
// server (s3rver, from npm) on an ephemeral port of 127.0.0.1, reached through @aws-sdk/client-s3.

export interface TestStorage {
	storage: AttachmentStorage;
	/** Every key stored (under a contract's prefix when given: the storage outlives each test), sorted. */
	keys(contractId?: string): Promise<string[]>;
	close(): Promise<void>;
}

export async function localTestStorage(): Promise<TestStorage> {
	const dir = await mkdtemp(path.join(tmpdir(), 'parley-attachments-'));
	const storage = new LocalStorage(dir);
	return {
		storage,
		async keys(contractId) {
			const entries = await readdir(dir, { recursive: true, withFileTypes: true });
			return entries
				.filter((e) => e.isFile())
				.map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
				.filter((key) => !contractId || key.startsWith(`${contractId}/`))
				.sort();
		},
		close: () => rm(dir, { recursive: true, force: true })
	};
}

export const S3_BUCKET = 'parley-test';

/** `redirect`: downloads answer a 302 to a presigned URL on s3rver (S3_DOWNLOADS=redirect). */
export async function s3TestStorage(
	downloads: 'proxy' | 'redirect' = 'proxy'
): Promise<TestStorage> {
	const dir = await mkdtemp(path.join(tmpdir(), 'parley-s3rver-'));
	const server = new S3rver({
		address: '127.0.0.1',
		port: 0,
		silent: true,
		directory: dir,
		configureBuckets: [{ name: S3_BUCKET }]
	});
	const { port } = await server.run();
	const storage = new S3Storage({
		bucket: S3_BUCKET,
		region: 'us-east-1',
		endpoint: `http://127.0.0.1:${port}`,
		accessKeyId: 'S3RVER',
		secretAccessKey: 'S3RVER',
		forcePathStyle: true,
		downloads
	});
	return {
		storage,
		async keys(contractId) {
			const listed = await storage.client.send(
				new ListObjectsV2Command({
					Bucket: S3_BUCKET,
					Prefix: contractId ? `${contractId}/` : undefined
				})
			);
			return (listed.Contents ?? []).map((o) => o.Key!).sort();
		},
		async close() {
			storage.client.destroy();
			await server.close();
			await rm(dir, { recursive: true, force: true });
		}
	};
}

export interface FilePart {
	filename: string;
	content: Buffer | string;
	/** The declared type (ignored by the server, which reads the content). */
	type?: string;
	/** Send the name as RFC 5987 `filename*` (percent-encoded UTF-8), so CR, LF and NUL get through. */
	extended?: boolean;
	field?: string;
}

/** A multipart/form-data body built by hand, byte for byte. */
export function multipart(parts: FilePart[]): { body: Buffer; contentType: string } {
	const boundary = `----parley${Math.random().toString(16).slice(2)}`;
	const chunks: Buffer[] = [];
	for (const part of parts) {
		const name = part.extended
			? `filename*=utf-8''${encodeURIComponent(part.filename)}`
			: `filename="${part.filename.replace(/"/g, '%22')}"`;
		chunks.push(
			Buffer.from(
				`--${boundary}\r\nContent-Disposition: form-data; name="${part.field ?? 'file'}"; ${name}\r\nContent-Type: ${part.type ?? 'application/octet-stream'}\r\n\r\n`
			),
			Buffer.isBuffer(part.content) ? part.content : Buffer.from(part.content),
			Buffer.from('\r\n')
		);
	}
	chunks.push(Buffer.from(`--${boundary}--\r\n`));
	return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** An upload request as the endpoint receives it. */
export function uploadEvent(
	user: SessionUser | null,
	contractId: string,
	parts: FilePart[] | { body: Buffer; contentType: string }
): ApiEvent {
	const { body, contentType } = Array.isArray(parts) ? multipart(parts) : parts;
	const url = new URL(`/api/contracts/${contractId}/attachments`, 'http://localhost');
	return {
		request: new Request(url, {
			method: 'POST',
			headers: { 'content-type': contentType, 'content-length': String(body.length) },
			body: new Uint8Array(body)
		}),
		locals: { user, sessionId: null, requestId: 'test' },
		params: { id: contractId },
		url
	};
}

export function downloadEvent(
	user: SessionUser | null,
	attachmentId: string,
	variant?: string
): ApiEvent {
	const url = new URL(
		`/api/attachments/${attachmentId}${variant ? `?variant=${variant}` : ''}`,
		'http://localhost'
	);
	return {
		request: new Request(url),
		locals: { user, sessionId: null, requestId: 'test' },
		params: { id: attachmentId },
		url
	};
}

// ---- Files -----------------------------------------------------------------------------------

/** A JPEG photo with GPS coordinates in its EXIF, turned by its EXIF orientation (6: 90°). */
export async function jpegWithGps(width = 60, height = 40): Promise<Buffer> {
	return sharp({
		create: { width, height, channels: 3, background: { r: 200, g: 80, b: 40 } }
	})
		.jpeg()
		.withExif({
			IFD0: { Make: 'ParleyCam' },
			IFD3: {
				GPSLatitudeRef: 'N',
				GPSLatitude: '48/1 51/1 24/1',
				GPSLongitudeRef: 'E',
				GPSLongitude: '2/1 21/1 3/1'
			}
		})
		.withMetadata({ orientation: 6 })
		.toBuffer();
}

export async function png(width = 400, height = 300): Promise<Buffer> {
	return sharp({
		create: { width, height, channels: 3, background: { r: 10, g: 120, b: 200 } }
	})
		.png()
		.toBuffer();
}

/** A small but real PDF. */
export function pdf(text = 'Invoice 42'): Buffer {
	const body = `%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R >> endobj
4 0 obj << /Length 44 >> stream
BT /F1 12 Tf 20 50 Td (${text}) Tj ET
endstream endobj
trailer << /Root 1 0 R >>
%%EOF
`;
	return Buffer.from(body, 'latin1');
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
	let c = n;
	for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
	return c >>> 0;
});
function crc32(bytes: Buffer): number {
	let c = 0xffffffff;
	for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
}

/**
 * A decompression bomb: a few hundred bytes whose header says 30,000 x 30,000 pixels (900
 * million, 2.7 GB decoded). A real PNG with its IHDR rewritten and its checksum made right.
 */
export async function pngBomb(): Promise<Buffer> {
	const small = await png(8, 8);
	const bomb = Buffer.from(small);
	// Signature (8), length (4), "IHDR" (4), then width and height.
	bomb.writeUInt32BE(30_000, 16);
	bomb.writeUInt32BE(30_000, 20);
	bomb.writeUInt32BE(crc32(bomb.subarray(12, 29)), 29);
	return bomb;
}

/** A Windows program's first bytes (MZ, then a PE header) as file-type reads them. */
export function exe(): Buffer {
	const bytes = Buffer.alloc(1024);
	bytes.write('MZ', 0, 'latin1');
	bytes.writeUInt32LE(0x80, 0x3c);
	bytes.write('PE\0\0', 0x80, 'latin1');
	return bytes;
}
