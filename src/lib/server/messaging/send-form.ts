import {
	idempotencyKeySchema,
	MAX_ATTACHMENTS_PER_MESSAGE,
	sendMessageSchema
} from '$lib/schemas/messaging';
import { uploadFormFile } from '../attachments';
import type { Db } from '../db';
import { DomainError } from '../errors';
import { enforceMessageLimits } from '../limits';
import { appendMessage } from './append';

/** What the composer's form post came to: the message sent, or why not (with the text to keep). */
export type FormSendResult =
	{ sent: string } | { status: number; error: string; body: string } | null;

/**
 * The conversation page's send action: text, attachmentIds (uploaded already, with JavaScript)
 * and files (the file input `files`, without JavaScript) in one form post. Null when the user
 * is not a party.
 */
export async function sendFormMessage(
	db: Db,
	userId: string,
	contractId: string,
	request: Request
): Promise<FormSendResult> {
	const form = await request.formData();
	const raw = String(form.get('body') ?? '');
	const files = form
		.getAll('files')
		.filter((f): f is File => typeof f !== 'string' && f.size > 0 && f.name !== '');
	const ids = form.getAll('attachmentIds').map(String);
	if (files.length + ids.length > MAX_ATTACHMENTS_PER_MESSAGE) {
		return {
			status: 400,
			body: raw,
			error: `A message can carry at most ${MAX_ATTACHMENTS_PER_MESSAGE} files.`
		};
	}
	const uploaded: string[] = [];
	for (const file of files) {
		try {
			const one = await uploadFormFile(db, userId, contractId, file);
			if (!one) return null;
			uploaded.push(one.id);
		} catch (err) {
			if (!(err instanceof DomainError)) throw err;
			return { status: err.status, body: raw, error: `${file.name}: ${err.message}` };
		}
	}
	const parsed = sendMessageSchema.safeParse({ body: raw, attachmentIds: [...ids, ...uploaded] });
	if (!parsed.success) {
		return {
			status: 400,
			body: raw,
			error: parsed.error.issues[0]?.message ?? 'Invalid message.'
		};
	}
	// A form without a usable key still sends; it just is not protected against a double post.
	const key = idempotencyKeySchema.safeParse(form.get('idempotencyKey'));
	try {
		await enforceMessageLimits(db, userId);
		const appended = await appendMessage(db, { kind: 'user', userId }, contractId, {
			body: parsed.data.body,
			attachmentIds: parsed.data.attachmentIds,
			idempotencyKey: key.success ? key.data : undefined
		});
		if (!appended) return null;
		return { sent: appended.message.id };
	} catch (err) {
		if (!(err instanceof DomainError)) throw err;
		return { status: err.status, body: raw, error: err.message };
	}
}
