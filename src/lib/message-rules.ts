// Rules of the conversation that the browser needs too (no server imports, no zod: this module
// ships to the browser).

export const MESSAGE_MAX_LENGTH = 10_000;

/** Counts what people see as characters (code points), so an emoji counts once, not twice. */
export function characterCount(text: string): number {
	let n = 0;
	for (const _ of text) n++;
	return n;
}

/** Browsers submit CRLF from textareas; store one kind of line break, then trim. */
export function normalizeMessageBody(raw: string): string {
	return raw.replace(/\r\n?/g, '\n').trim();
}

/** A sender may delete (unsend) their own message for this long after sending it. */
export const DELETE_WINDOW_SECONDS = 24 * 60 * 60;

interface ChangeableMessage {
	isOwn: boolean;
	senderRole: 'user' | 'assistant' | 'system';
	createdAt: string;
	deletedAt: string | null;
}

/** Whether the viewer may still change this message: their own, not deleted, within the window. */
export function canChangeMessage(
	message: ChangeableMessage,
	windowSeconds: number,
	now = Date.now()
): boolean {
	return (
		message.isOwn &&
		message.senderRole === 'user' &&
		message.deletedAt === null &&
		now - new Date(message.createdAt).getTime() < windowSeconds * 1000
	);
}

/**
 * A fresh Idempotency-Key for one message: the composer sends it with the message and again with
 * every retry of it, so a retried send never posts twice. getRandomValues works on plain-HTTP
 * origins too, where crypto.randomUUID does not exist.
 */
export function newIdempotencyKey(): string {
	const bytes = crypto.getRandomValues(new Uint8Array(16));
	return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
