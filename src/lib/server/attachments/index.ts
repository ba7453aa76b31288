import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { UploadedAttachmentJson } from '$lib/schemas/messaging';
import type { Db } from '../db';
import { attachments, contracts } from '../db/schema';
import { findContractForParty } from '../messaging/parties';
import { AttachmentRefusedError } from '../messaging/errors';
import { scanFile, type ClamavSettings } from './clamav';
import { attachmentStorage, type AttachmentStorage } from './storage';
import {
	checkBytes,
	INLINE_TYPES,
	receiveUpload,
	type ProcessedUpload,
	type UploadLimits
} from './upload';

// Attachments: uploads into a contract's conversation, taken by a message (appendMessage's
// attachmentIds), downloaded by the contract's parties. Storage (local disk or S3) holds the
// bytes under keys this module makes; the attachments table says whose they are.

export {
	attachmentStorage,
	contentDisposition,
	createStorage,
	LocalStorage,
	PRESIGNED_URL_SECONDS,
	S3Storage,
	useStorage,
	type AttachmentStorage,
	type DownloadHeaders
} from './storage';
export {
	ALLOWED_DESCRIPTION,
	FileRefusedError,
	INLINE_TYPES,
	describeBytes,
	receiveForm,
	sanitizeFilename,
	type ReceivedForm
} from './upload';

export { scanFile, ScannerUnavailableError, type ClamavSettings } from './clamav';

export type Variant = 'original' | 'thumbnail' | 'preview';

export function storageKeys(row: { storageKey: string; hasThumbnails: boolean }): string[] {
	return row.hasThumbnails
		? [
				row.storageKey,
				variantKey(row.storageKey, 'thumbnail'),
				variantKey(row.storageKey, 'preview')
			]
		: [row.storageKey];
}

export function variantKey(storageKey: string, variant: Variant): string {
	return variant === 'original'
		? storageKey
		: storageKey.replace(/\/original$/, `/${variant}.webp`);
}

/**
 * Stores the request's file as an upload of `userId` to the contract; null when the user is not a
 * party (the caller answers 404 before a byte of the body is read). Refusals throw
 * AttachmentRefusedError and keep nothing.
 */
export async function createAttachment(
	db: Db,
	userId: string,
	contractId: string,
	request: Request,
	limits: UploadLimits & { clamav?: ClamavSettings | null },
	storage: AttachmentStorage = attachmentStorage()
): Promise<UploadedAttachmentJson | null> {
	if (!(await findContractForParty(db, userId, contractId))) return null;
	const upload = await receiveUpload(request, limits);
	try {
		return await storeUpload(db, userId, contractId, upload, limits.clamav ?? null, storage);
	} finally {
		await upload.cleanup();
	}
}

/**
 * An email's attachment as an upload of `userId` to the contract (the caller knows they are a
 * party): the same checks, scan and storage as createAttachment. Refusals throw
 * AttachmentRefusedError and keep nothing.
 */
export async function createAttachmentFromBytes(
	db: Db,
	userId: string,
	contractId: string,
	file: { filename: string; bytes: Uint8Array },
	limits: UploadLimits & { clamav?: ClamavSettings | null },
	storage: AttachmentStorage = attachmentStorage()
): Promise<UploadedAttachmentJson> {
	const upload = await checkBytes(file.bytes, file.filename, limits);
	try {
		return await storeUpload(db, userId, contractId, upload, limits.clamav ?? null, storage);
	} finally {
		await upload.cleanup();
	}
}

/**
 * Scans (with ClamAV configured) and stores a checked upload of `userId` to the contract, bytes
 * first, then its row; whatever was stored is removed again when a step fails. `id` may be
 * chosen beforehand (a form checks the message with its files' ids before storing any).
 */
export async function storeUpload(
	db: Db,
	userId: string,
	contractId: string,
	upload: Omit<ProcessedUpload, 'cleanup'>,
	clamav: ClamavSettings | null,
	storage: AttachmentStorage = attachmentStorage(),
	id: string = crypto.randomUUID()
): Promise<UploadedAttachmentJson> {
	await scan(upload.file, upload.filename, userId, contractId, clamav);
	const storageKey = `${contractId}/${id}/original`;
	const stored: string[] = [];
	try {
		await storage.putFile(storageKey, upload.file, upload.contentType);
		stored.push(storageKey);
		if (upload.thumbnails) {
			for (const variant of ['thumbnail', 'preview'] as const) {
				const key = variantKey(storageKey, variant);
				await storage.putFile(key, upload.thumbnails[variant], 'image/webp');
				stored.push(key);
			}
		}
		await db.insert(attachments).values({
			id,
			contractId,
			uploaderId: userId,
			filename: upload.filename,
			contentType: upload.contentType,
			size: upload.size,
			width: upload.width,
			height: upload.height,
			storageKey,
			hasThumbnails: upload.thumbnails !== null
		});
	} catch (err) {
		await storage.delete(stored).catch(() => {});
		throw err;
	}
	return {
		id,
		filename: upload.filename,
		contentType: upload.contentType,
		size: upload.size,
		status: 'ready'
	};
}

/**
 * With ClamAV configured, the bytes that would be stored are scanned first: an infected file is
 * refused (422) and logged, and an unreachable scanner refuses the upload (503), so nothing
 * unscanned is ever downloadable.
 */
async function scan(
	file: string,
	filename: string,
	userId: string,
	contractId: string,
	clamav: ClamavSettings | null
): Promise<void> {
	if (!clamav) return;
	let result: Awaited<ReturnType<typeof scanFile>>;
	try {
		result = await scanFile(clamav, file);
	} catch (err) {
		console.error(`attachments: scan failed: ${(err as Error).message}`);
		throw new AttachmentRefusedError(
			503,
			'Files cannot be checked for malware right now; try again in a minute.',
			'could not be checked for malware'
		);
	}
	if (!result.clean) {
		console.warn(
			`attachments: refused an infected upload (${result.signature}) by user ${userId} to contract ${contractId}: ${JSON.stringify(filename)}`
		);
		throw new AttachmentRefusedError(
			422,
			`This file was refused: the malware scanner found ${result.signature}.`,
			'was refused by the malware scanner'
		);
	}
}

export interface AttachmentForDownload {
	id: string;
	filename: string;
	contentType: string;
	size: number;
	storageKey: string;
	hasThumbnails: boolean;
}

/**
 * The attachment if the viewer may download it: a party of its contract once a message took it,
 * only its uploader before that. Null otherwise (404, as for one that does not exist).
 */
export async function findAttachmentForViewer(
	db: Db,
	viewerId: string,
	attachmentId: string
): Promise<AttachmentForDownload | null> {
	const [row] = await db
		.select({
			id: attachments.id,
			filename: attachments.filename,
			contentType: attachments.contentType,
			size: attachments.size,
			storageKey: attachments.storageKey,
			hasThumbnails: attachments.hasThumbnails
		})
		.from(attachments)
		.innerJoin(contracts, eq(contracts.id, attachments.contractId))
		.where(
			and(
				eq(attachments.id, attachmentId),
				or(eq(contracts.requesterId, viewerId), eq(contracts.providerId, viewerId)),
				or(sql`${attachments.messageId} is not null`, eq(attachments.uploaderId, viewerId))
			)
		);
	return row ?? null;
}

export function isInlineType(contentType: string): boolean {
	return INLINE_TYPES.has(contentType);
}

/** Deletes the rows and then the bytes of the attachments the condition picks; how many. */
async function deleteWhere(
	db: Db,
	where: ReturnType<typeof and>,
	storage: AttachmentStorage
): Promise<number> {
	const removed = await db
		.delete(attachments)
		.where(where)
		.returning({ storageKey: attachments.storageKey, hasThumbnails: attachments.hasThumbnails });
	if (removed.length > 0) {
		const keys = removed.flatMap(storageKeys);
		await storage.delete(keys).catch((err) => {
			console.error(`attachments: ${keys.length} stored files could not be deleted`, err);
		});
	}
	return removed.length;
}

/** A deleted message's files go with it. */
export function deleteMessageAttachments(
	db: Db,
	messageId: string,
	storage: AttachmentStorage = attachmentStorage()
): Promise<number> {
	return deleteWhere(db, eq(attachments.messageId, messageId), storage);
}

/** The cron run's sweep: uploads no message took within `maxAgeSeconds` (a day) are deleted. */
export function deleteUnattachedUploads(
	db: Db,
	maxAgeSeconds = 24 * 3600,
	storage: AttachmentStorage = attachmentStorage()
): Promise<number> {
	return deleteWhere(
		db,
		and(
			isNull(attachments.messageId),
			lt(attachments.createdAt, sql`now() - make_interval(secs => ${maxAgeSeconds})`)
		),
		storage
	);
}

/** Uploads of the user that no message took (a refused form's files): rows and bytes; how many. */
export function deleteUnsentUploads(
	db: Db,
	userId: string,
	ids: readonly string[],
	storage: AttachmentStorage = attachmentStorage()
): Promise<number> {
	if (ids.length === 0) return Promise.resolve(0);
	return deleteWhere(
		db,
		and(
			inArray(attachments.id, [...ids]),
			eq(attachments.uploaderId, userId),
			isNull(attachments.messageId)
		),
		storage
	);
}
