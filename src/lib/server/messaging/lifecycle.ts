import { sql } from 'drizzle-orm';
import { DELETE_WINDOW_SECONDS } from '$lib/message-rules';
import type { MessageJson } from '$lib/schemas/messaging';
import { getConfig } from '../config';
import { rowsOf, type Db } from '../db';
import { notifyLive } from '../live/events';
import { maskContactDetails, type ContactMaskingMode } from './contact-masking';
import { ChangeWindowClosedError, NotYourMessageError, rethrowDatabaseRefusal } from './errors';
import { deleteMessageAttachments } from '../attachments';
import { messageRowFromSql, toMessageJson, type MessageRow } from './views';

// After sending: the sender edits or unsends their own message, within a window. The rules and
// the locks are in parley_edit_message and parley_delete_message (src/lib/server/db/functions).

/**
 * The sender replaces the text of their own message within the edit window; the previous text
 * goes into its edit history. Null when the editor cannot see the message.
 */
export async function editMessage(
	db: Db,
	editorId: string,
	messageId: string,
	body: string,
	options: { windowSeconds?: number; contactMasking?: ContactMaskingMode } = {}
): Promise<MessageJson | null> {
	const windowSeconds = options.windowSeconds ?? getConfig().messaging.editWindowSeconds;
	const masking = options.contactMasking ?? getConfig().messaging.contactMasking;
	// Edits are rare: the text is masked up front, and the function uses it when masking applies.
	const maskedBody = masking === 'off' ? null : maskContactDetails(body);
	const [row] = rowsOf<{
		message: MessageRow | string;
		contract_id: string;
		live_payload: string | null;
	}>(
		await db
			.execute(
				sql`select message, contract_id, live_payload from parley_edit_message(${messageId}::uuid, ${editorId}::uuid, ${body}, ${windowSeconds}, ${masking}, ${maskedBody})`
			)
			.catch((err) =>
				rethrowDatabaseRefusal(err, {
					PR403: () => new NotYourMessageError('edit'),
					PRWIN: () => new ChangeWindowClosedError('edit', windowSeconds)
				})
			)
	);
	if (!row) return null;
	await notifyLive(db, row.live_payload);
	const message = messageRowFromSql(row.message);
	// The editor wrote it, so it is read for them.
	return toMessageJson(message, {
		viewerId: editorId,
		contractId: row.contract_id,
		lastReadSeq: message.seq
	});
}

/**
 * The sender unsends their own message within DELETE_WINDOW_SECONDS: the text and its history
 * are erased, the message stays as "deleted". False when it already was; null when the caller
 * cannot see the message.
 */
export async function deleteMessage(
	db: Db,
	userId: string,
	messageId: string
): Promise<boolean | null> {
	const [row] = rowsOf<{ deleted: boolean; live_payload: string | null }>(
		await db
			.execute(
				sql`select deleted, live_payload from parley_delete_message(${messageId}::uuid, ${userId}::uuid, ${DELETE_WINDOW_SECONDS})`
			)
			.catch((err) =>
				rethrowDatabaseRefusal(err, {
					PR403: () => new NotYourMessageError('delete'),
					PRWIN: () => new ChangeWindowClosedError('delete', DELETE_WINDOW_SECONDS)
				})
			)
	);
	if (!row) return null;
	// Deleting a message deletes its files (rows, then the stored bytes).
	if (row.deleted) await deleteMessageAttachments(db, messageId);
	await notifyLive(db, row.live_payload);
	return row.deleted;
}

/**
 * An operator removes a message (moderation/admin.ts checks the role and records why): the same
 * tombstone as the sender's delete, at any time and from outside the thread. False when it was
 * deleted already, null when there is no such message.
 */
export async function deleteMessageAsModerator(
	db: Db,
	operatorId: string,
	messageId: string
): Promise<boolean | null> {
	const [row] = rowsOf<{ deleted: boolean; live_payload: string | null }>(
		await db.execute(
			sql`select deleted, live_payload from parley_delete_message(${messageId}::uuid, ${operatorId}::uuid, 0, true)`
		)
	);
	if (!row) return null;
	// As with the sender's delete, the message's files go with it.
	if (row.deleted) await deleteMessageAttachments(db, messageId);
	await notifyLive(db, row.live_payload);
	return row.deleted;
}
