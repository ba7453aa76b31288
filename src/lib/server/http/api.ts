import { json } from '@sveltejs/kit';
import { z } from 'zod';
import type { SessionUser } from '../auth';
import { DomainError, type ErrorCode } from '../errors';

// JSON endpoints answer alike: one error shape, and every expected failure carries its status.
export type { ErrorCode } from '../errors';

/** A failure the HTTP layer itself finds (no session, a bad body); domain errors are its siblings. */
export class ApiError extends DomainError {}

export function errorResponse(
	status: number,
	code: ErrorCode,
	message: string,
	details?: unknown
): Response {
	const headers = new Headers();
	// A 429 says when to come back, in the header HTTP clients read as well as in the body.
	const retryAfter = (details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
	if (typeof retryAfter === 'number') headers.set('Retry-After', String(Math.ceil(retryAfter)));
	return json({ error: { code, message, ...(details ? { details } : {}) } }, { status, headers });
}

export const notFound = (what = 'Not found.') => new ApiError(404, 'not_found', what);

export function requireApiUser(locals: App.Locals): SessionUser {
	if (!locals.user) throw new ApiError(401, 'unauthorized', 'Sign in to use this endpoint.');
	return locals.user;
}

export const MAX_JSON_BYTES = 64 * 1024;

/** Reads a JSON body within a size limit and validates it; every failure is a clear 4xx. */
export async function readJsonBody<S extends z.ZodType>(
	request: Request,
	schema: S,
	maxBytes = MAX_JSON_BYTES
): Promise<z.output<S>> {
	const type = request.headers.get('content-type') ?? '';
	if (!/^application\/json\b/i.test(type)) {
		throw new ApiError(415, 'unsupported_media_type', 'Send the body as application/json.');
	}
	const declared = Number(request.headers.get('content-length'));
	if (Number.isFinite(declared) && declared > maxBytes) {
		throw tooLarge(maxBytes);
	}
	const text = await readLimited(request, maxBytes);
	let data: unknown;
	try {
		data = JSON.parse(text);
	} catch {
		throw new ApiError(400, 'invalid_body', 'The body is not valid JSON.');
	}
	const parsed = schema.safeParse(data);
	if (!parsed.success) {
		const message = parsed.error.issues[0]?.message ?? 'The body is invalid.';
		throw new ApiError(400, 'invalid_body', message, z.flattenError(parsed.error).fieldErrors);
	}
	return parsed.data;
}

/** Validates the query string; the first problem becomes the 400's message. */
export function readQuery<S extends z.ZodType>(url: URL, schema: S): z.output<S> {
	return parseOr400(schema, Object.fromEntries(url.searchParams), 'The query is invalid.');
}

/** Validates the named request headers (the schema's keys); a missing one is undefined. */
export function readHeaders<S extends z.ZodObject>(headers: Headers, schema: S): z.output<S> {
	const values = Object.fromEntries(
		Object.keys(schema.shape).map((name) => [name, headers.get(name) ?? undefined])
	);
	return parseOr400(schema, values, 'A header is invalid.');
}

function parseOr400<S extends z.ZodType>(schema: S, data: unknown, fallback: string): z.output<S> {
	const parsed = schema.safeParse(data);
	if (!parsed.success) {
		const message = parsed.error.issues[0]?.message ?? fallback;
		throw new ApiError(400, 'bad_request', message, z.flattenError(parsed.error).fieldErrors);
	}
	return parsed.data;
}

function tooLarge(maxBytes: number) {
	return new ApiError(413, 'payload_too_large', `The body is larger than ${maxBytes / 1024} KB.`);
}

// Counts bytes as they arrive, so a client lying about (or omitting) Content-Length is still cut off.
async function readLimited(request: Request, maxBytes: number): Promise<string> {
	if (!request.body) return '';
	const reader = request.body.getReader();
	const chunks: Uint8Array[] = [];
	let size = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		size += value.byteLength;
		if (size > maxBytes) {
			await reader.cancel();
			throw tooLarge(maxBytes);
		}
		chunks.push(value);
	}
	return new TextDecoder().decode(Buffer.concat(chunks));
}

/** Wraps an endpoint body: known errors become their status, anything else a logged 500. */
export async function handleApi(fn: () => Promise<Response>): Promise<Response> {
	try {
		return await fn();
	} catch (err) {
		return toErrorResponse(err);
	}
}

export function toErrorResponse(err: unknown): Response {
	if (err instanceof DomainError)
		return errorResponse(err.status, err.code, err.message, err.details);
	throw err;
}

/** Route parameters that must be UUIDs: anything else cannot exist, so it is a 404 like any other miss. */
export function uuidParam(value: string | undefined, what = 'Not found.'): string {
	const parsed = z.uuid().safeParse(value);
	if (!parsed.success) throw notFound(what);
	return parsed.data;
}
