import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
	DeleteObjectsCommand,
	GetObjectCommand,
	PutObjectCommand,
	S3Client
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { getConfig, type AttachmentStorageSettings } from '../config';

// Where attachment bytes live. One interface, two implementations: a folder on local disk (the
// embedded default, one instance) and any S3-compatible bucket (several instances). Keys are
// `<contract>/<attachment>/<variant>`; the database row names the key, the storage holds bytes.
// Downloads stream through the app from either by default. S3_DOWNLOADS=redirect lets the bucket
// serve them instead (a presigned URL after the party check): it cannot send nosniff or a CSP, so
// its type and disposition are fixed in the signature, and the pages' img-src allows its origin.

/** What a download answers with, whichever server sends the bytes. */
export interface DownloadHeaders {
	contentType: string;
	contentDisposition: string;
}

export interface AttachmentStorage {
	readonly driver: 'local' | 's3';
	/** Writes a file from a path on this machine (streamed, never read whole into memory). */
	putFile(key: string, file: string, contentType: string): Promise<void>;
	/** The bytes, streamed; null when there is no such key. */
	read(key: string): Promise<Readable | null>;
	/** Deletes every key given (missing ones are no error). */
	delete(keys: readonly string[]): Promise<void>;
	/**
	 * A URL the browser fetches the file from itself, valid `seconds`, with `headers` fixed in its
	 * signature; null when downloads stream through the app (local disk, S3 in proxy mode).
	 */
	downloadUrl(key: string, headers: DownloadHeaders, seconds: number): Promise<string | null>;
	/** The origin downloadUrl's links point at (for the pages' img-src), or null. */
	readonly downloadOrigin: string | null;
}

/** The party check has passed: a presigned download link is valid this long. */
export const PRESIGNED_URL_SECONDS = 300;

export class LocalStorage implements AttachmentStorage {
	readonly driver = 'local';
	constructor(readonly dir: string) {}

	private pathOf(key: string): string {
		if (!/^[\w-]+(\/[\w.-]+)*$/.test(key) || key.includes('..')) {
			throw new Error(`invalid attachment key ${JSON.stringify(key)}`);
		}
		return path.join(this.dir, key);
	}

	async putFile(key: string, file: string): Promise<void> {
		const target = this.pathOf(key);
		await mkdir(path.dirname(target), { recursive: true });
		const partial = `${target}.part`;
		await pipeline(createReadStream(file), createWriteStream(partial));
		await rename(partial, target);
	}

	async read(key: string): Promise<Readable | null> {
		const file = this.pathOf(key);
		try {
			await stat(file);
		} catch {
			return null;
		}
		return createReadStream(file);
	}

	async delete(keys: readonly string[]): Promise<void> {
		for (const key of keys) await rm(this.pathOf(key), { force: true });
		// The attachment's folder goes when it is empty.
		for (const dir of new Set(keys.map((key) => path.dirname(this.pathOf(key))))) {
			await rm(dir, { recursive: false, force: true }).catch(() => {});
		}
	}

	readonly downloadOrigin = null;

	async downloadUrl(): Promise<null> {
		return null;
	}
}

export interface S3Settings {
	bucket: string;
	region: string;
	endpoint: string | null;
	accessKeyId: string | null;
	secretAccessKey: string | null;
	forcePathStyle: boolean;
	downloads: 'proxy' | 'redirect';
}

export class S3Storage implements AttachmentStorage {
	readonly driver = 's3';
	readonly client: S3Client;
	readonly downloadOrigin: string | null;
	constructor(readonly settings: S3Settings) {
		this.client = new S3Client({
			region: settings.region,
			endpoint: settings.endpoint ?? undefined,
			forcePathStyle: settings.forcePathStyle,
			// Plain signed bodies: the SDK's default CRC trailers (aws-chunked) are stored verbatim
			// by S3-compatible servers that do not speak them (s3rver, older MinIO and Garage).
			requestChecksumCalculation: 'WHEN_REQUIRED',
			responseChecksumValidation: 'WHEN_REQUIRED',
			credentials:
				settings.accessKeyId && settings.secretAccessKey
					? { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey }
					: undefined
		});
		// The bucket's origin as the SDK addresses it, by its own endpoint rules: virtual-hosted
		// `bucket.host` when the name allows, path-style on the endpoint otherwise.
		this.downloadOrigin =
			settings.downloads === 'redirect'
				? this.client.config.endpointProvider({
						Bucket: settings.bucket,
						Region: settings.region,
						Endpoint: settings.endpoint ?? undefined,
						ForcePathStyle: settings.forcePathStyle
					}).url.origin
				: null;
	}

	async downloadUrl(
		key: string,
		headers: DownloadHeaders,
		seconds: number
	): Promise<string | null> {
		if (this.settings.downloads !== 'redirect') return null;
		return getSignedUrl(
			this.client,
			new GetObjectCommand({
				Bucket: this.settings.bucket,
				Key: key,
				ResponseContentType: headers.contentType,
				ResponseContentDisposition: headers.contentDisposition,
				ResponseCacheControl: `private, max-age=${seconds}`
			}),
			{ expiresIn: seconds }
		);
	}

	async putFile(key: string, file: string, contentType: string): Promise<void> {
		const { size } = await stat(file);
		await this.client.send(
			new PutObjectCommand({
				Bucket: this.settings.bucket,
				Key: key,
				Body: createReadStream(file),
				ContentLength: size,
				ContentType: contentType
			})
		);
	}

	async read(key: string): Promise<Readable | null> {
		try {
			const object = await this.client.send(
				new GetObjectCommand({ Bucket: this.settings.bucket, Key: key })
			);
			return object.Body as Readable;
		} catch (err) {
			if ((err as { name?: string }).name === 'NoSuchKey') return null;
			throw err;
		}
	}

	async delete(keys: readonly string[]): Promise<void> {
		for (let i = 0; i < keys.length; i += 1000) {
			await this.client.send(
				new DeleteObjectsCommand({
					Bucket: this.settings.bucket,
					Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true }
				})
			);
		}
	}
}

export function createStorage(settings: AttachmentStorageSettings): AttachmentStorage {
	return settings.driver === 's3' ? new S3Storage(settings) : new LocalStorage(settings.dir);
}

let processStorage: AttachmentStorage | undefined;

/** The process's storage, from the configuration; tests set their own with useStorage. */
export function attachmentStorage(): AttachmentStorage {
	processStorage ??= createStorage(getConfig().attachments.storage);
	return processStorage;
}

/** Replaces the process's storage (tests run the attachment suite on both); undefined resets. */
export function useStorage(storage: AttachmentStorage | undefined): void {
	processStorage = storage;
}

/**
 * Content-Disposition per RFC 6266: an ASCII fallback in `filename` (quotes and backslashes
 * replaced) and the real name in `filename*` (RFC 5987 UTF-8 percent-encoding) when it is not
 * plain ASCII. The name is already sanitised (sanitizeFilename).
 */
export function contentDisposition(kind: 'inline' | 'attachment', filename: string): string {
	const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
	if (ascii === filename) return `${kind}; filename="${ascii}"`;
	const encoded = encodeURIComponent(filename).replace(
		/['()*]/g,
		(c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`
	);
	return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
