import { DomainError } from '../errors';

export { DomainError } from '../errors';

export class ThreadClosedError extends DomainError {
	constructor() {
		super(409, 'conflict', 'This conversation is closed; no new messages can be posted.');
	}
}

export class InvalidCursorError extends DomainError {
	constructor() {
		super(400, 'bad_request', 'The cursor is not valid; use nextCursor from a previous page.');
	}
}

/** A search that names nothing to find: empty, or only operators and words to leave out. */
export class EmptySearchError extends DomainError {
	constructor() {
		super(
			400,
			'bad_request',
			'Say what to search for: at least one word or "phrase" (-word only leaves words out).'
		);
	}
}

export class NotYourMessageError extends DomainError {
	constructor(action: 'edit' | 'delete') {
		super(403, 'forbidden', `Only the person who wrote a message can ${action} it.`);
	}
}

export class MessageDeletedError extends DomainError {
	constructor() {
		super(409, 'conflict', 'This message was deleted.');
	}
}

export class ChangeWindowClosedError extends DomainError {
	constructor(action: 'edit' | 'delete', windowSeconds: number) {
		super(
			409,
			'conflict',
			`Messages can be ${action === 'edit' ? 'edited' : 'deleted'} for ${describeDuration(windowSeconds)} after they are sent.`
		);
	}
}

export class IdempotencyKeyReusedError extends DomainError {
	constructor() {
		super(
			422,
			'idempotency_key_reused',
			'This Idempotency-Key was already used for a different message; use a new key for a new message.'
		);
	}
}

/** attachmentIds names a file that is not an unused upload of the author's to this contract. */
export class AttachmentNotUsableError extends DomainError {
	constructor() {
		super(
			422,
			'attachment_not_usable',
			'A file in attachmentIds cannot be sent: upload it to this conversation yourself first; each upload goes with one message.'
		);
	}
}

/** An upload that is not kept: its status (413, 415, 422) and the reason for the person. */
export class AttachmentRefusedError extends DomainError {
	/**
	 * `why` completes "FILENAME …" in the short note under a reply by email that names the files
	 * not carried over ("is over 25 MB", "is not an allowed type").
	 */
	constructor(
		status: number,
		message: string,
		readonly why = 'was refused'
	) {
		super(status, status === 413 ? 'payload_too_large' : 'attachment_refused', message);
	}
}

function describeDuration(seconds: number): string {
	if (seconds % 3600 === 0) return plural(seconds / 3600, 'hour');
	if (seconds % 60 === 0) return plural(seconds / 60, 'minute');
	return plural(seconds, 'second');
}

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/** SQLSTATEs that the write functions (src/lib/server/db/functions) raise for expected refusals. */
const SQLSTATE_ERRORS: Record<string, () => DomainError> = {
	PR409: () => new ThreadClosedError(),
	PR422: () => new IdempotencyKeyReusedError(),
	PRATT: () => new AttachmentNotUsableError(),
	PRDEL: () => new MessageDeletedError()
};

/**
 * Maps a refusal raised by a write function, wherever the driver wrapped it, to its domain error;
 * `more` adds the codes whose message depends on the call. Anything else is thrown as it is.
 */
export function rethrowDatabaseRefusal(
	err: unknown,
	more: Record<string, (refusal: DatabaseRefusal) => DomainError> = {}
): never {
	for (let e: unknown = err; e instanceof Error; e = e.cause) {
		const refusal = e as unknown as DatabaseRefusal;
		if (typeof refusal.code !== 'string') continue;
		const make = more[refusal.code] ?? SQLSTATE_ERRORS[refusal.code];
		if (make) throw make(refusal);
	}
	throw err;
}

/** What both drivers' errors carry of a RAISE: its SQLSTATE, DETAIL and HINT. */
export interface DatabaseRefusal {
	code: string;
	detail?: string;
	hint?: string;
}
