import {
	idempotencyKeySchema,
	MAX_ATTACHMENTS_PER_MESSAGE,
	sendMessageSchema
} from '$lib/schemas/messaging';
import {
	attachmentStorage,
	deleteUnsentUploads,
	FileRefusedError,
	receiveForm,
	storeUpload,
	type AttachmentStorage,
	type ClamavSettings,
	type ReceivedForm
} from '../attachments';
import type { UploadLimits } from '../attachments/upload';
import { getConfig } from '../config';
import type { Db } from '../db';
import { DomainError } from '../errors';
import { messageLimits } from '../limits';
import { refuseIfReached } from '../rate-limit';
import { appendMessage } from './append';
import { findContractForParty } from './parties';

// The conversation page's send action. With JavaScript the files are uploaded already and the
// form names them (attachmentIds); without it they come in the same multipart post (the file
// input `files`). That post is streamed with the upload's own busboy code, its text checked
// before any file is written, and nothing is stored unless the message is sent: a send refused
// after its files were stored removes them in the same request.

/** What the composer's form post came to: the message sent, or why not (with the text to keep). */
export type FormSendResult =
	{ sent: string } | { status: number; error: string; body: string } | null;

/** A browser cannot put files back into a file input: the refusal says so. */
export const REATTACH = 'Your text is kept; attach the files again.';

const TOO_MANY = `A message can carry at most ${MAX_ATTACHMENTS_PER_MESSAGE} files.`;

/**
 * Sends the form's message; null when the user is not a party (404). Refusals come back with
 * their status, the reason and the text as it was typed.
 */
export async function sendFormMessage(
	db: Db,
	userId: string,
	contractId: string,
	request: Request,
	limits: UploadLimits & { clamav?: ClamavSettings | null } = getConfig().attachments,
	storage: AttachmentStorage = attachmentStorage()
): Promise<FormSendResult> {
	if (!(await findContractForParty(db, userId, contractId))) return null;
	const fields = new Map<string, string[]>();
	const first = (name: string) => fields.get(name)?.[0] ?? '';
	const refusal = (status: number, error: string, files: boolean) => ({
		status,
		error: files ? `${error} ${REATTACH}` : error,
		body: first('body')
	});

	let form: ReceivedForm;
	try {
		form = await readForm(request, limits, fields);
	} catch (err) {
		if (!(err instanceof DomainError)) throw err;
		const error = err instanceof FileRefusedError ? `${err.filename}: ${err.message}` : err.message;
		return refusal(err.status, error, true);
	}
	const hasFiles = form.files.length > 0;
	// The files' ids are chosen now, so the message is checked whole before any file is stored.
	const fileIds = form.files.map(() => crypto.randomUUID());
	const stored: string[] = [];
	try {
		const parsed = sendMessageSchema.safeParse({
			body: first('body'),
			attachmentIds: [...(fields.get('attachmentIds') ?? []), ...fileIds]
		});
		if (!parsed.success) {
			return refusal(400, parsed.error.issues[0]?.message ?? 'Invalid message.', hasFiles);
		}
		// A form without a usable key still sends; it just is not protected against a double post.
		const key = idempotencyKeySchema.safeParse(first('idempotencyKey'));
		const rateLimits = messageLimits(userId);
		// Counted by the send below; checked now so a sender at a limit stores no files.
		if (hasFiles) await refuseIfReached(db, rateLimits);
		for (const [i, file] of form.files.entries()) {
			try {
				await storeUpload(db, userId, contractId, file, limits.clamav ?? null, storage, fileIds[i]);
			} catch (err) {
				if (err instanceof DomainError) throw new FileRefusedError(file.filename, err);
				throw err;
			}
			stored.push(fileIds[i]!);
		}
		const appended = await appendMessage(db, { kind: 'user', userId }, contractId, {
			body: parsed.data.body,
			attachmentIds: parsed.data.attachmentIds,
			idempotencyKey: key.success ? key.data : undefined,
			limits: rateLimits
		});
		if (!appended) {
			await deleteUnsentUploads(db, userId, stored, storage);
			return null;
		}
		return { sent: appended.message.id };
	} catch (err) {
		await deleteUnsentUploads(db, userId, stored, storage);
		if (!(err instanceof DomainError)) throw err;
		const error = err instanceof FileRefusedError ? `${err.filename}: ${err.message}` : err.message;
		return refusal(err.status, error, hasFiles);
	} finally {
		await form.cleanup();
	}
}

/**
 * The form's fields and checked files. A multipart post is streamed; its text is checked when
 * the first file begins (the browser sends the text first), so a refused text writes no file.
 * A urlencoded post (no files possible) is small and read whole.
 */
async function readForm(
	request: Request,
	limits: UploadLimits,
	fields: Map<string, string[]>
): Promise<ReceivedForm> {
	const type = request.headers.get('content-type') ?? '';
	if (!/^multipart\/form-data\b/i.test(type)) {
		for (const [name, value] of await request.formData()) {
			if (typeof value === 'string') fields.set(name, [...(fields.get(name) ?? []), value]);
		}
		return { fields, files: [], cleanup: async () => {} };
	}
	return receiveForm(request, limits, {
		fileField: 'files',
		maxFiles: MAX_ATTACHMENTS_PER_MESSAGE,
		tooMany: TOO_MANY,
		into: fields,
		beforeFiles(seen) {
			const ids = seen.get('attachmentIds') ?? [];
			if (ids.length >= MAX_ATTACHMENTS_PER_MESSAGE) {
				return new DomainError(400, 'invalid_body', TOO_MANY);
			}
			// Files are coming: an empty text is fine, anything else wrong with it is not.
			const parsed = sendMessageSchema.safeParse({
				body: seen.get('body')?.[0] ?? '',
				attachmentIds: [crypto.randomUUID()]
			});
			return parsed.success
				? null
				: new DomainError(
						400,
						'invalid_body',
						parsed.error.issues[0]?.message ?? 'Invalid message.'
					);
		}
	});
}
