// Expected failures carry their HTTP answer, so the JSON endpoints and the page actions map every
// one of them in a single place instead of each catching the same classes again.

export type ErrorCode =
	| 'bad_request'
	| 'invalid_body'
	| 'unsupported_media_type'
	| 'payload_too_large'
	| 'unauthorized'
	| 'forbidden'
	| 'insufficient_scope'
	| 'not_found'
	| 'conflict'
	| 'idempotency_key_reused'
	| 'attachment_not_usable'
	| 'attachment_refused'
	| 'rate_limited'
	| 'service_unavailable'
	| 'ai_not_configured'
	| 'ai_failed'
	| 'internal_error';

/** A failure the caller can act on: its message is safe to show, its status and code are the answer. */
export class DomainError extends Error {
	constructor(
		readonly status: number,
		readonly code: ErrorCode,
		message: string,
		readonly details?: unknown
	) {
		super(message);
		this.name = new.target.name;
	}
}
