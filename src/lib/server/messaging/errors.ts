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
