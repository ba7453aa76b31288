import { json } from '@sveltejs/kit';
import { Resend } from 'resend';
import type { Config } from '../config';
import { isAuthorizedCronCall } from '../cron';
import type { Db } from '../db';
import { errorResponse } from '../http/api';
import {
	addressOf,
	parseRawEmail,
	receiveReply,
	type InboundAttachment,
	type InboundContext,
	type InboundEmail
} from './inbound';

// The two ways a reply reaches Parley. Both end in receiveReply and answer alike: 200 with the
// outcome for everything handled (dropped included, so nobody retries it forever), 401 for a
// caller that cannot prove who it is, 5xx only when the email could not be decided on.

export type InboundConfig = Pick<Config, 'inbound' | 'email' | 'attachments'>;

/** What receiveReply needs from the settings, besides the domain. */
function replyContext(config: InboundConfig, domain: string): InboundContext {
	return {
		domain,
		attachments: config.attachments,
		auth: { mode: config.inbound.requireAuth, authservIds: config.inbound.authservIds }
	};
}

const WEBHOOK_MAX_BYTES = 256 * 1024;

class TooLarge extends Error {}

async function readBytes(request: Request | Response, maxBytes: number): Promise<Uint8Array> {
	const declared = Number(request.headers.get('content-length'));
	if (Number.isFinite(declared) && declared > maxBytes) {
		await request.body?.cancel();
		throw new TooLarge();
	}
	if (!request.body) return new Uint8Array();
	const reader = request.body.getReader();
	const chunks: Uint8Array[] = [];
	let size = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		size += value.byteLength;
		if (size > maxBytes) {
			await reader.cancel();
			throw new TooLarge();
		}
		chunks.push(value);
	}
	return Buffer.concat(chunks);
}

/** adapter-node's reading of BODY_SIZE_LIMIT (512K by default; K, M and G suffixes). */
export function bodySizeLimitBytes(value = '512K'): number {
	const multiplier = { K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[value.at(-1)?.toUpperCase() ?? ''];
	return Number(multiplier ? value.slice(0, -1) : value) * (multiplier ?? 1);
}

/**
 * A start-up warning when the MIME door is on but `node build` would refuse emails below
 * INBOUND_MAX_BYTES (adapter-node applies BODY_SIZE_LIMIT to every request before Parley runs).
 */
export function bodySizeLimitWarning(
	config: InboundConfig,
	bodySizeLimit: string | undefined
): string | null {
	const limit = bodySizeLimitBytes(bodySizeLimit || undefined);
	if (!config.inbound.secret || !(limit < config.inbound.maxBytes)) return null;
	return `Parley: BODY_SIZE_LIMIT (${bodySizeLimit || '512K'}) is below INBOUND_MAX_BYTES (${config.inbound.maxBytes}): under node build, emails larger than it are refused (413) by POST /api/inbound/mime. Set BODY_SIZE_LIMIT to at least INBOUND_MAX_BYTES.`;
}

function unavailable(message: string) {
	return errorResponse(503, 'service_unavailable', message);
}

/**
 * POST /api/inbound/mime: the raw RFC 5322 message as the body, `Authorization: Bearer
 * $INBOUND_SECRET`. A mail server may pass the envelope as `?sender=...&recipient=...`.
 */
export async function receiveMimeRequest(
	db: Db,
	request: Request,
	url: URL,
	config: InboundConfig
): Promise<Response> {
	const { secret, maxBytes } = config.inbound;
	const domain = config.email.inboundDomain;
	if (!secret || !domain) {
		return unavailable('INBOUND_SECRET and INBOUND_EMAIL_DOMAIN must be set to receive replies.');
	}
	if (!isAuthorizedCronCall(request.headers.get('authorization'), secret)) {
		return errorResponse(401, 'unauthorized', 'Send Authorization: Bearer <INBOUND_SECRET>.');
	}
	let raw: Uint8Array;
	try {
		raw = await readBytes(request, maxBytes);
	} catch (err) {
		if (err instanceof TooLarge) {
			console.warn(`Inbound email dropped: larger than INBOUND_MAX_BYTES (${maxBytes})`);
			return json({ outcome: 'dropped', reason: 'too_large' });
		}
		// adapter-node's BODY_SIZE_LIMIT cut the body off before INBOUND_MAX_BYTES: a setting to
		// fix, not an email to drop quietly. Not 2xx, so the mail server keeps or bounces it.
		if ((err as { status?: unknown } | null)?.status === 413) {
			console.error(
				`Inbound email refused: larger than BODY_SIZE_LIMIT; raise BODY_SIZE_LIMIT to at least INBOUND_MAX_BYTES (${maxBytes})`
			);
			return errorResponse(
				413,
				'payload_too_large',
				'The email is larger than the server takes (BODY_SIZE_LIMIT).'
			);
		}
		throw err;
	}
	let email: InboundEmail;
	try {
		email = await parseRawEmail(raw, {
			from: url.searchParams.get('sender'),
			to: url.searchParams.getAll('recipient')
		});
	} catch (err) {
		console.warn(`Inbound email dropped: it could not be parsed (${String(err).slice(0, 200)})`);
		return json({ outcome: 'dropped', reason: 'unparseable' });
	}
	return json(await receiveReply(db, email, replyContext(config, domain)));
}

/** The Standard Webhooks headers, as Resend sends them (svix-*) or under their own names. */
function webhookHeaders(headers: Headers) {
	const get = (name: string) => headers.get(`svix-${name}`) ?? headers.get(`webhook-${name}`) ?? '';
	return { id: get('id'), timestamp: get('timestamp'), signature: get('signature') };
}

interface ReceivedEvent {
	type: string;
	data?: { email_id?: string };
}

/**
 * POST /api/inbound/resend: Resend's `email.received` webhook, verified with RESEND_WEBHOOK_SECRET
 * (a bad or stale signature: 401, nothing done); the email itself is fetched through the SDK.
 */
export async function receiveResendWebhook(
	db: Db,
	request: Request,
	config: InboundConfig
): Promise<Response> {
	const { resendWebhookSecret } = config.inbound;
	const { resendApiKey, resendBaseUrl, inboundDomain } = config.email;
	if (!resendWebhookSecret || !resendApiKey || !inboundDomain) {
		return unavailable(
			'RESEND_WEBHOOK_SECRET, RESEND_API_KEY and INBOUND_EMAIL_DOMAIN must be set to receive replies through Resend.'
		);
	}
	let payload: string;
	try {
		payload = new TextDecoder().decode(await readBytes(request, WEBHOOK_MAX_BYTES));
	} catch (err) {
		if (err instanceof TooLarge) {
			return errorResponse(413, 'payload_too_large', 'A webhook is at most 256 KB.');
		}
		throw err;
	}
	const resend = new Resend(resendApiKey, resendBaseUrl ? { baseUrl: resendBaseUrl } : undefined);
	let event: ReceivedEvent;
	try {
		event = resend.webhooks.verify({
			payload,
			headers: webhookHeaders(request.headers),
			webhookSecret: resendWebhookSecret
		}) as ReceivedEvent;
	} catch {
		return errorResponse(401, 'unauthorized', 'The webhook signature is missing, wrong or stale.');
	}
	if (event.type !== 'email.received') return json({ outcome: 'ignored', type: event.type });
	const id = event.data?.email_id;
	if (!id) return json({ outcome: 'dropped', reason: 'unparseable' });

	const { data, error } = await resend.emails.receiving.get(id, { html_format: 'cid' });
	if (error || !data) {
		const status = (error as { statusCode?: number | null } | null)?.statusCode ?? null;
		if (status === 404) return json({ outcome: 'dropped', reason: 'unknown_email' });
		// Resend did not answer: retry later.
		return unavailable(`Resend did not return the email: ${error?.message ?? 'no answer'}`);
	}
	const headers: Record<string, string> = {};
	const authenticationResults: string[] = [];
	// Typed as strings; a repeated header may come as a list.
	for (const [name, value] of Object.entries(data.headers ?? {}) as [string, unknown][]) {
		const values = (Array.isArray(value) ? value : [value]).map(String);
		headers[name.toLowerCase()] ??= values[0] ?? '';
		if (name.toLowerCase() === 'authentication-results') authenticationResults.push(...values);
	}
	const html = data.html ?? null;
	const email: InboundEmail = {
		messageId: data.message_id || headers['message-id'] || null,
		from: addressOf(data.from),
		envelopeFrom: headers['return-path'] !== undefined ? addressOf(headers['return-path']) : null,
		recipients: [
			...(data.to ?? []),
			...(data.cc ?? []),
			...(data.received_for ?? []),
			...(headers['delivered-to'] ? [headers['delivered-to']] : [])
		]
			.map((r) => addressOf(r) ?? r)
			.filter(Boolean),
		subject: data.subject ?? '',
		headers,
		authenticationResults,
		text: data.text ?? null,
		html,
		attachments: (data.attachments ?? []).map((a): InboundAttachment => ({
			filename: a.filename,
			inline:
				a.content_disposition === 'inline' ||
				Boolean(a.content_id && html?.includes(`cid:${a.content_id.replace(/^<|>$/g, '')}`)),
			size: typeof a.size === 'number' ? a.size : null,
			load: (maxBytes) => downloadAttachment(resend, id, a.id, maxBytes)
		}))
	};
	if (headers['return-path'] !== undefined && /^\s*<>\s*$/.test(headers['return-path'])) {
		email.envelopeFrom = '';
	}
	return json(await receiveReply(db, email, replyContext(config, inboundDomain)));
}

/** Resend's error or a failed download: the webhook is answered 5xx and Resend retries it. */
class ResendDownloadError extends Error {}

/**
 * One attachment of a received email: its signed download URL through the SDK
 * (`emails.receiving.attachments.get`), then the bytes from that URL, at most `maxBytes`
 * (null past that, with nothing more read).
 */
async function downloadAttachment(
	resend: Resend,
	emailId: string,
	id: string,
	maxBytes: number
): Promise<Uint8Array | null> {
	const { data, error } = await resend.emails.receiving.attachments.get({ emailId, id });
	if (error || !data) {
		throw new ResendDownloadError(`Resend did not return attachment ${id}: ${error?.message}`);
	}
	if (data.size > maxBytes) return null;
	const response = await fetch(data.download_url);
	if (!response.ok) {
		await response.body?.cancel();
		throw new ResendDownloadError(`attachment ${id} download answered ${response.status}`);
	}
	try {
		return await readBytes(response, maxBytes);
	} catch (err) {
		if (err instanceof TooLarge) return null;
		throw err;
	}
}
