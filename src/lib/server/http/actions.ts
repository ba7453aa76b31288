import { fail, type ActionFailure } from '@sveltejs/kit';
import { DomainError } from '../errors';

/**
 * For a form action's `catch`: a domain error becomes `fail()` with its own status and the form
 * data the page shows (built from the error's message); anything else is rethrown.
 *
 * ```ts
 * } catch (err) {
 * 	return failFromDomainError(err, (message) => ({ offeringId, message }));
 * }
 * ```
 */
export function failFromDomainError<T extends Record<string, unknown>>(
	err: unknown,
	data: (message: string) => T
): ActionFailure<T> {
	if (err instanceof DomainError) return fail(err.status, data(err.message));
	throw err;
}
