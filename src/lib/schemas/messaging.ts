import { z } from 'zod';
import { CONTRACT_STATUSES } from '$lib/types';
import { MESSAGE_MAX_LENGTH, characterCount, normalizeMessageBody } from '../message-rules';

// Request and response shapes of the messaging API. The same schemas validate requests, type the
// handlers and produce /api/openapi.json, so the documentation cannot drift from the code.

export { MESSAGE_MAX_LENGTH, characterCount, normalizeMessageBody };

// Control characters other than newline and tab: they hide text, break terminals and email headers.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/u;

export const EMPTY_MESSAGE = 'Write a message before sending.';

/** A message's text checks but for emptiness (a message may be files only). */
function checkBody(body: string, ctx: z.RefinementCtx) {
	const count = characterCount(body);
	if (count > MESSAGE_MAX_LENGTH) {
		ctx.addIssue({
			code: 'custom',
			message: `Messages can be at most ${MESSAGE_MAX_LENGTH.toLocaleString('en')} characters; this one has ${count.toLocaleString('en')}.`
		});
	}
	if (FORBIDDEN_CONTROL.test(body)) {
		ctx.addIssue({
			code: 'custom',
			message: 'The message contains control characters; only line breaks and tabs are allowed.'
		});
	}
}

export const messageBodySchema = z
	.string({ error: 'The message body must be text.' })
	.transform(normalizeMessageBody)
	.superRefine((body, ctx) => {
		if (body.length === 0) {
			ctx.addIssue({ code: 'custom', message: EMPTY_MESSAGE });
			return;
		}
		checkBody(body, ctx);
	})
	.meta({
		description: 'Trimmed; 1 to 10,000 characters; no control characters but newline and tab.'
	});

/** How many files one message may carry. */
export const MAX_ATTACHMENTS_PER_MESSAGE = 10;

export const attachmentIdsSchema = z
	.array(z.uuid({ error: 'attachmentIds must be ids of uploads.' }), {
		error: 'attachmentIds must be a list of upload ids.'
	})
	.max(
		MAX_ATTACHMENTS_PER_MESSAGE,
		`A message can carry at most ${MAX_ATTACHMENTS_PER_MESSAGE} files.`
	)
	.refine((ids) => new Set(ids).size === ids.length, 'attachmentIds names a file twice.')
	.meta({
		description: `Uploads (POST /api/contracts/{id}/attachments) of mine to this contract that no message has taken yet; at most ${MAX_ATTACHMENTS_PER_MESSAGE}.`
	});

export const sendMessageSchema = z
	.object({
		body: z
			.string({ error: 'The message body must be text.' })
			.transform(normalizeMessageBody)
			.superRefine(checkBody)
			.optional()
			.meta({
				description:
					'Trimmed; up to 10,000 characters; no control characters but newline and tab. May be empty when attachmentIds names files.'
			}),
		attachmentIds: attachmentIdsSchema.default([])
	})
	.superRefine((send, ctx) => {
		if (send.attachmentIds.length > 0) return;
		if (send.body === undefined) {
			ctx.addIssue({ code: 'custom', path: ['body'], message: 'The message body must be text.' });
		} else if (send.body.length === 0) {
			ctx.addIssue({ code: 'custom', path: ['body'], message: EMPTY_MESSAGE });
		}
	})
	.transform((send) => ({ ...send, body: send.body ?? '' }))
	.meta({ id: 'SendMessage' });

export const editMessageSchema = z.object({ body: messageBodySchema }).meta({ id: 'EditMessage' });

/** The Idempotency-Key of a send: 1 to 255 printable ASCII characters. */
export const idempotencyKeySchema = z
	.string()
	.regex(/^[\x20-\x7E]{1,255}$/, 'Idempotency-Key must be 1 to 255 printable ASCII characters.')
	.meta({
		description:
			'Makes a send safe to retry: a retry with the same key within 24 hours answers the first message (200) and writes nothing; the same key with another body answers 422.'
	});

export const threadStatusChangeSchema = z
	.object({
		status: z.enum(['open', 'resolved'], { error: 'Status must be "open" or "resolved".' })
	})
	.meta({ id: 'ThreadStatusChange' });

const limit = (max: number, fallback: number) =>
	z.coerce
		.number({ error: `limit must be a whole number from 1 to ${max}.` })
		.int(`limit must be a whole number from 1 to ${max}.`)
		.min(1, `limit must be a whole number from 1 to ${max}.`)
		.max(max, `limit must be a whole number from 1 to ${max}.`)
		.default(fallback);

export const messagesQuerySchema = z.object({
	before: z
		.string()
		.regex(/^[1-9]\d{0,9}$/, 'before must be a cursor returned as nextCursor.')
		// Sequence numbers are Postgres integers: a larger value can only be made up.
		.refine((v) => Number(v) <= 2_147_483_647, 'before must be a cursor returned as nextCursor.')
		.optional()
		.meta({ description: 'nextCursor of the previous page: returns older messages.' }),
	limit: limit(100, 50),
	format: z
		.enum(['json', 'ui'], { error: 'format must be "json" or "ui".' })
		.default('json')
		.meta({ description: 'ui: the messages as the Vercel AI SDK’s UIMessage objects.' })
});

const flag = (description: string) =>
	z
		.enum(['true', 'false', '1', '0'])
		.optional()
		.transform((v) => v === 'true' || v === '1')
		.meta({ description });

export const inboxQuerySchema = z.object({
	cursor: z.string().max(200).optional().meta({ description: 'nextCursor of the previous page.' }),
	limit: limit(100, 20),
	unread: flag('Only threads with unread messages.'),
	archived: flag('The archived threads instead of the inbox.')
});

export const metricsQuerySchema = z.object({
	days: z.coerce
		.number({ error: 'days must be a whole number from 1 to 365.' })
		.int('days must be a whole number from 1 to 365.')
		.min(1, 'days must be a whole number from 1 to 365.')
		.max(365, 'days must be a whole number from 1 to 365.')
		.default(30)
});

// ---- Responses --------------------------------------------------------------------------------

const isoDate = z.iso.datetime({ offset: true }).meta({ description: 'ISO-8601, UTC' });
export const SENDER_ROLES = ['user', 'assistant', 'system'] as const;

export const attachmentSchema = z
	.object({
		id: z.uuid(),
		filename: z.string(),
		contentType: z.string().meta({ description: 'Sniffed from the content.' }),
		size: z.number().int().meta({ description: 'Bytes, as downloaded.' }),
		width: z.number().int().nullable().meta({ description: 'Images only.' }),
		height: z.number().int().nullable(),
		thumbnailUrl: z
			.string()
			.nullable()
			.meta({ description: 'A WebP of at most 320 px (images only).' }),
		url: z.string()
	})
	.meta({ id: 'Attachment' });

export const uploadedAttachmentSchema = z
	.object({
		id: z.uuid(),
		filename: z.string(),
		contentType: z.string(),
		size: z.number().int(),
		status: z.enum(['ready'])
	})
	.meta({ id: 'UploadedAttachment' });

export const messageSchema = z
	.object({
		id: z.uuid(),
		threadId: z.uuid(),
		contractId: z.uuid(),
		senderId: z.uuid().nullable(),
		senderName: z.string().nullable(),
		senderRole: z.enum(SENDER_ROLES),
		body: z.string(),
		contactDetailsHidden: z.boolean().meta({
			description:
				'Contact details in it are hidden from its recipient (CONTACT_MASKING): the recipient reads a placeholder in their place, the sender reads their own text.'
		}),
		createdAt: isoDate,
		editedAt: isoDate.nullable().meta({ description: 'When the text was last edited.' }),
		deletedAt: isoDate
			.nullable()
			.meta({ description: 'When the sender deleted it; the body is then empty.' }),
		isOwn: z.boolean(),
		isRead: z.boolean(),
		readByCounterpartAt: isoDate.nullable(),
		via: z
			.enum(['app', 'email'])
			.meta({ description: 'email: posted by replying to a notification email.' }),
		attachments: z.array(attachmentSchema)
	})
	.meta({ id: 'Message' });

export const threadSchema = z
	.object({
		id: z.uuid(),
		contractId: z.uuid(),
		subject: z.string(),
		status: z.enum(['open', 'resolved', 'closed']),
		createdAt: isoDate,
		lastMessageAt: isoDate,
		messageCount: z.number().int(),
		unreadCount: z.number().int(),
		lastMessage: z
			.object({
				body: z.string().meta({ description: 'The first 140 characters.' }),
				senderName: z.string().nullable(),
				senderRole: z.enum(SENDER_ROLES),
				createdAt: isoDate,
				deleted: z.boolean().meta({ description: 'Deleted by its sender; the body is empty.' }),
				isOwn: z.boolean().meta({ description: 'Whether the caller wrote it.' })
			})
			.nullable(),
		counterpart: z.object({
			id: z.uuid(),
			name: z.string(),
			role: z.enum(['requester', 'provider', 'assistant']),
			suspended: z
				.boolean()
				.meta({ description: 'An operator suspended this account (trust and safety).' })
		}),
		contract: z
			.object({
				status: z.enum(CONTRACT_STATUSES),
				requestedAt: isoDate
			})
			.meta({
				description: 'The rental this conversation belongs to, to tell repeat rentals apart.'
			}),
		archived: z.boolean().meta({
			description: 'Archived by the caller: out of the inbox until the next message arrives.'
		}),
		muted: z.boolean().meta({
			description: 'Muted by the caller: no email, and not counted in the unread badge.'
		})
	})
	.meta({ id: 'Thread' });

export const messagePageSchema = z
	.object({
		thread: threadSchema.nullable(),
		messages: z.array(messageSchema).meta({ description: 'Oldest first.' }),
		nextCursor: z.string().nullable().meta({ description: 'Pages to older messages.' })
	})
	.meta({ id: 'MessagePage' });

/** What a UIMessage carries besides its text; the roles stay the AI SDK's own. */
export const uiMessageMetadataSchema = z.strictObject({
	threadId: z.uuid(),
	contractId: z.uuid(),
	senderId: z.uuid().nullable(),
	senderName: z.string().nullable(),
	createdAt: isoDate,
	editedAt: isoDate.nullable(),
	deletedAt: isoDate.nullable(),
	isOwn: z.boolean()
});

export const uiMessageSchema = z
	.object({
		id: z.uuid(),
		role: z.enum(['user', 'assistant', 'system']),
		parts: z.array(z.object({ type: z.literal('text'), text: z.string() })),
		metadata: uiMessageMetadataSchema
	})
	.meta({
		id: 'UIMessage',
		description: 'A message in the Vercel AI SDK’s UIMessage form; role from senderRole.'
	});

export const uiMessagePageSchema = z
	.object({
		thread: threadSchema.nullable(),
		messages: z.array(uiMessageSchema).meta({ description: 'Oldest first.' }),
		nextCursor: z.string().nullable()
	})
	.meta({ id: 'UIMessagePage' });

export const inboxPageSchema = z
	.object({
		threads: z.array(threadSchema).meta({ description: 'Most recent activity first.' }),
		nextCursor: z.string().nullable()
	})
	.meta({ id: 'InboxPage' });

export const unreadCountSchema = z.object({ count: z.number().int() }).meta({ id: 'UnreadCount' });
export const markedSchema = z.object({ marked: z.number().int() }).meta({ id: 'Marked' });

export const responseMetricsSchema = z
	.object({
		providerId: z.uuid(),
		days: z.number().int(),
		avgResponseTimeHours: z.number().nullable(),
		medianResponseTimeHours: z.number().nullable(),
		responseRatePct: z.number(),
		respondedWithin24hPct: z.number(),
		totalThreads: z.number().int(),
		respondedThreads: z.number().int()
	})
	.meta({ id: 'ProviderResponseMetrics' });

export const errorSchema = z
	.object({
		error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() })
	})
	.meta({ id: 'Error' });

export type MessageJson = z.infer<typeof messageSchema>;
export type AttachmentJson = z.infer<typeof attachmentSchema>;
export type UploadedAttachmentJson = z.infer<typeof uploadedAttachmentSchema>;
export type ThreadJson = z.infer<typeof threadSchema>;
export type ResponseMetrics = z.infer<typeof responseMetricsSchema>;
