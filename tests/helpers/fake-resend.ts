import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
	method: string;
	path: string;
	headers: IncomingMessage['headers'];
	body: Record<string, unknown>;
}

export type Behaviour =
	| { kind: 'ok' }
	| { kind: 'status'; status: number; name?: string; retryAfter?: number }
	| { kind: 'hang' };

/** A received email as GET /emails/receiving/{id} answers it. */
export interface ReceivedEmail {
	object: 'email';
	id: string;
	to: string[];
	from: string;
	created_at: string;
	subject: string;
	bcc: string[] | null;
	cc: string[] | null;
	reply_to: string[] | null;
	received_for: string[];
	html: string | null;
	text: string | null;
	headers: Record<string, string> | null;
	message_id: string;
	attachments: {
		id: string;
		filename: string | null;
		size: number;
		content_type: string;
		content_id: string | null;
		content_disposition: string | null;
	}[];
}

/** An attachment's content, kept by the stand-in and served from its signed download URL. */
export interface ReceivedFile {
	filename: string | null;
	content_type: string;
	content: Buffer;
	content_id?: string | null;
	content_disposition?: 'inline' | 'attachment';
}

/**
 * Signs a webhook as Resend does, with the Standard Webhooks scheme (svix): the secret is
 * `whsec_` + base64 key, the signature `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`.
 */
export function signWebhook(
	event: unknown,
	secret: string,
	options: { at?: Date; id?: string; body?: string } = {}
): { body: string; headers: Record<string, string> } {
	const body = options.body ?? JSON.stringify(event);
	const id = options.id ?? `msg_${randomUUID().replace(/-/g, '')}`;
	const timestamp = String(Math.floor((options.at ?? new Date()).getTime() / 1000));
	const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
	const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
	return {
		body,
		headers: {
			'content-type': 'application/json',
			'svix-id': id,
			'svix-timestamp': timestamp,
			'svix-signature': `v1,${signature}`
		}
	};
}

/** A fresh webhook signing secret in Resend's format. */
export function newWebhookSecret(): string {
	return `whsec_${randomBytes(24).toString('base64')}`;
}

/**
 * A stand-in for Resend's HTTP API on 127.0.0.1: the real `resend` SDK talks to it. It records
 * every request and answers from a script of behaviours (then "ok"), like the real API would.
 * Received emails (inbound) are kept for GET /emails/receiving/{id}; `receivedEvent` builds the
 * email.received webhook that announces one.
 */
export async function startFakeResend(port = 0) {
	const requests: RecordedRequest[] = [];
	const received = new Map<string, ReceivedEmail>();
	// Attachments by email id, then attachment id; downloads by their URL's random token.
	const files = new Map<string, Map<string, ReceivedFile & { id: string }>>();
	const downloads = new Map<string, ReceivedFile>();
	let baseUrl = '';
	/** AttachmentData as GET /emails/receiving/{id}/attachments[/{id}] answers it: a signed URL. */
	const attachmentData = (file: ReceivedFile & { id: string }) => {
		const token = randomBytes(12).toString('hex');
		downloads.set(token, file);
		return {
			id: file.id,
			filename: file.filename ?? undefined,
			size: file.content.length,
			content_type: file.content_type,
			content_disposition: file.content_disposition ?? 'attachment',
			content_id: file.content_id ?? undefined,
			download_url: `${baseUrl}/downloads/${token}?signature=stand-in`,
			expires_at: new Date(Date.now() + 3600_000).toISOString()
		};
	};
	const script: Behaviour[] = [];
	const hanging = new Set<() => void>();
	let counter = 0;
	const server: Server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const raw = Buffer.concat(chunks).toString('utf8');
			requests.push({
				method: req.method ?? '',
				path: req.url ?? '',
				headers: req.headers,
				body: raw ? JSON.parse(raw) : {}
			});
			const behaviour = script.shift() ?? { kind: 'ok' };
			if (behaviour.kind === 'hang') {
				const release = () => res.destroy();
				hanging.add(release);
				return;
			}
			if (behaviour.kind === 'status') {
				res.writeHead(behaviour.status, {
					'content-type': 'application/json',
					...(behaviour.retryAfter ? { 'retry-after': String(behaviour.retryAfter) } : {})
				});
				res.end(
					JSON.stringify({
						statusCode: behaviour.status,
						name:
							behaviour.name ??
							(behaviour.status === 429 ? 'rate_limit_exceeded' : 'application_error'),
						message: `scripted ${behaviour.status}`
					})
				);
				return;
			}
			const download = /^\/downloads\/([0-9a-f]+)/.exec(req.url ?? '');
			if (req.method === 'GET' && download) {
				const file = downloads.get(download[1]!);
				res.writeHead(file ? 200 : 404, {
					'content-type': file?.content_type ?? 'text/plain',
					...(file ? { 'content-length': String(file.content.length) } : {})
				});
				res.end(file ? file.content : 'Not found');
				return;
			}
			const attachment = /^\/emails\/receiving\/([^/?]+)\/attachments(?:\/([^/?]+))?/.exec(
				req.url ?? ''
			);
			if (req.method === 'GET' && attachment) {
				const ofEmail = files.get(decodeURIComponent(attachment[1]!));
				const one = attachment[2] ? ofEmail?.get(decodeURIComponent(attachment[2])) : undefined;
				const found = attachment[2] ? one : ofEmail;
				res.writeHead(found ? 200 : 404, { 'content-type': 'application/json' });
				res.end(
					JSON.stringify(
						!found
							? { statusCode: 404, name: 'not_found', message: 'Attachment not found' }
							: one
								? { object: 'attachment', ...attachmentData(one) }
								: {
										object: 'list',
										has_more: false,
										data: [...ofEmail!.values()].map(attachmentData)
									}
					)
				);
				return;
			}
			const receiving = /^\/emails\/receiving\/([^/?]+)/.exec(req.url ?? '');
			if (req.method === 'GET' && receiving) {
				const email = received.get(decodeURIComponent(receiving[1]!));
				res.writeHead(email ? 200 : 404, { 'content-type': 'application/json' });
				res.end(
					JSON.stringify(
						email ?? { statusCode: 404, name: 'not_found', message: 'Email not found' }
					)
				);
				return;
			}
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ id: `email_${++counter}` }));
		});
	});
	await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
	const address = server.address() as AddressInfo;
	baseUrl = `http://127.0.0.1:${address.port}`;
	return {
		baseUrl,
		requests,
		script,
		/**
		 * Stores a received email (as Resend would after its MX took it); answers it with its id.
		 * `withFiles` are its attachments with their content, listed in the email as Resend lists them.
		 */
		receive(
			email: Partial<ReceivedEmail> & { from: string; to: string[] },
			withFiles: ReceivedFile[] = []
		): ReceivedEmail {
			const id = email.id ?? randomUUID();
			const stored = withFiles.map((f) => ({ ...f, id: randomUUID() }));
			files.set(id, new Map(stored.map((f) => [f.id, f])));
			const listed = stored.map((f) => ({
				id: f.id,
				filename: f.filename,
				size: f.content.length,
				content_type: f.content_type,
				content_id: f.content_id ?? null,
				content_disposition: f.content_disposition ?? 'attachment'
			}));
			const full: ReceivedEmail = {
				object: 'email',
				id,
				created_at: new Date().toISOString(),
				subject: '',
				bcc: null,
				cc: null,
				reply_to: null,
				received_for: email.to,
				html: null,
				text: null,
				headers: {},
				message_id: `<${id}@mail.example>`,
				...email,
				attachments: [...(email.attachments ?? []), ...listed]
			};
			received.set(id, full);
			return full;
		},
		/** The email.received webhook for a received email: metadata only, as Resend sends it. */
		receivedEvent(email: ReceivedEmail) {
			return {
				type: 'email.received',
				created_at: new Date().toISOString(),
				data: {
					email_id: email.id,
					created_at: email.created_at,
					from: email.from,
					to: email.to,
					bcc: email.bcc ?? [],
					cc: email.cc ?? [],
					received_for: email.received_for,
					message_id: email.message_id,
					subject: email.subject,
					attachments: email.attachments.map((a) => ({
						id: a.id,
						filename: a.filename,
						content_type: a.content_type,
						content_disposition: a.content_disposition,
						content_id: a.content_id
					}))
				}
			};
		},
		async close() {
			for (const release of hanging) release();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		}
	};
}
