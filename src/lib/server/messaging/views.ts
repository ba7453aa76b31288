import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import { alias, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { textWithFiles } from '$lib/attachment-summary';
import type { AttachmentJson, MessageJson, ThreadJson } from '$lib/schemas/messaging';
import type { Db } from '../db';
import { isoTime, isoTimeOrNull } from '../db/iso-time';
import {
	apiTokens,
	attachments,
	contracts,
	messageReadReceipts as receipts,
	messageThreadParticipants as participants,
	messageThreads,
	messages,
	users
} from '../db/schema';

// One mapper per JSON shape. Every read, every write's answer and every live event builds its
// Message and Thread here, from rows that the Drizzle queries below select (or, for the write
// functions, from parley_message_rows, which builds the same MessageRow in SQL).

// ---- Message ---------------------------------------------------------------------------------

/** A message as a participant sees it, before the viewer-relative fields are filled in. */
export interface MessageRow {
	id: string;
	threadId: string;
	seq: number;
	senderId: string | null;
	senderName: string | null;
	senderRole: MessageJson['senderRole'];
	/** As this viewer reads it: with contact details hidden unless they wrote it. */
	body: string;
	contactDetailsHidden: boolean;
	createdAt: string;
	editedAt: string | null;
	deletedAt: string | null;
	readByCounterpartAt: string | null;
	/** An assistant's: the name of the agent token that wrote it, and whom it acted for. */
	agentName: string | null;
	actingForName: string | null;
	/** How it was written: in the app (or the API), or as a reply to a notification email. */
	via: MessageJson['via'];
	/** parley_message_attachments: parsed, or as text from a driver without the type lookup. */
	attachments: AttachmentRow[] | string | null;
}

/** One file of a message, as parley_message_attachments builds it. */
export interface AttachmentRow {
	id: string;
	filename: string;
	contentType: string;
	size: number;
	width: number | null;
	height: number | null;
	hasThumbnails: boolean;
}

/** Where a party downloads an attachment: the file, or its 320 px WebP thumbnail. */
export function attachmentUrl(id: string, variant?: 'thumbnail' | 'preview'): string {
	return `/api/attachments/${id}${variant ? `?variant=${variant}` : ''}`;
}

export function toAttachmentJson(row: AttachmentRow): AttachmentJson {
	return {
		id: row.id,
		filename: row.filename,
		contentType: row.contentType,
		size: row.size,
		width: row.width,
		height: row.height,
		thumbnailUrl: row.hasThumbnails ? attachmentUrl(row.id, 'thumbnail') : null,
		url: attachmentUrl(row.id)
	};
}

/**
 * A message's files as parley_message_attachments builds them, or null when it has none. Most
 * messages have none: for them an index probe replaces the function call (a PL/pgSQL call per
 * row; about 8 µs a row of a search's twenty thread views at 1M messages).
 */
export function messageFiles(messageId: AnyPgColumn): SQL<AttachmentRow[] | string | null> {
	return sql`case when exists (select from ${attachments} where ${attachments.messageId} = ${messageId})
		then parley_message_attachments(${messageId}) end`;
}

function attachmentRows(value: MessageRow['attachments']): AttachmentRow[] {
	if (!value) return [];
	return typeof value === 'string' ? (JSON.parse(value) as AttachmentRow[]) : value;
}

/** parley_message_rows' JSON, which the drivers hand over parsed or, without a type lookup, as text. */
export function messageRowFromSql(value: MessageRow | string): MessageRow {
	return typeof value === 'string' ? (JSON.parse(value) as MessageRow) : value;
}

/** The name shown for an assistant that has no account of its own. */
export const ASSISTANT_NAME = 'Assistant';

/** How an assistant's message is signed for both sides: "Helper for Paul", or the agent alone. */
export function assistantLabel(agentName: string | null, actingForName: string | null): string {
	const agent = agentName ?? ASSISTANT_NAME;
	return actingForName ? `${agent} for ${actingForName}` : agent;
}

// An assistant's name is its agent token's, joined by the token id that messages.agent_id holds
// (as text, through the api_tokens_id_text_key index); the person it acts for is a user.
const agentToken = alias(apiTokens, 'agent_token');
const actingFor = alias(users, 'acting_for');

/**
 * A message's text as `viewer` reads it: the text with contact details hidden (masked_body, set
 * at write time) unless the viewer wrote it or an assistant wrote it for them. The one rule for
 * every read; parley_message_rows spells the same in SQL.
 */
export function bodyForViewer(
	message: { body: unknown; maskedBody: unknown; senderId: unknown; actingForId: unknown },
	viewer: SQL | SQL.Aliased | ReturnType<typeof sql.placeholder>
): SQL<string> {
	return sql<string>`case when ${message.maskedBody} is null or ${message.senderId} = ${viewer} or ${message.actingForId} = ${viewer} then ${message.body} else ${message.maskedBody} end`;
}

/** Messages of a thread, newest first, with the counterpart's receipt for "Seen". */
export function selectMessageRows(db: Db, where: SQL | undefined) {
	return db
		.select({
			id: messages.id,
			threadId: messages.threadId,
			seq: messages.seq,
			senderId: messages.senderId,
			senderName: users.displayName,
			senderRole: messages.senderRole,
			body: bodyForViewer(messages, sql.placeholder('viewerId')),
			contactDetailsHidden: sql<boolean>`${messages.maskedBody} is not null`,
			createdAt: isoTime(messages.createdAt),
			editedAt: isoTimeOrNull(messages.editedAt),
			deletedAt: isoTimeOrNull(messages.deletedAt),
			readByCounterpartAt: isoTimeOrNull(receipts.readAt),
			agentName: agentToken.name,
			actingForName: actingFor.displayName,
			via: messages.via,
			attachments: messageFiles(messages.id)
		})
		.from(messages)
		.leftJoin(users, eq(users.id, messages.senderId))
		.leftJoin(agentToken, sql`${agentToken.id}::text = ${messages.agentId}`)
		.leftJoin(actingFor, eq(actingFor.id, messages.actingForId))
		.leftJoin(
			receipts,
			and(
				eq(receipts.messageId, messages.id),
				eq(receipts.readerId, sql.placeholder('counterpartId'))
			)
		)
		.where(and(eq(messages.threadId, sql.placeholder('threadId')), where))
		.orderBy(desc(messages.seq))
		.limit(sql.placeholder('limit'));
}

export interface MessageViewer {
	viewerId: string | null;
	contractId: string;
	/** The viewer's read watermark: messages up to it are read. */
	lastReadSeq: number;
}

export function toMessageJson(row: MessageRow, viewer: MessageViewer): MessageJson {
	return {
		id: row.id,
		threadId: row.threadId,
		contractId: viewer.contractId,
		senderId: row.senderId,
		senderName:
			row.senderName ??
			(row.senderRole === 'assistant' ? assistantLabel(row.agentName, row.actingForName) : null),
		senderRole: row.senderRole,
		body: row.body,
		contactDetailsHidden: row.contactDetailsHidden,
		createdAt: row.createdAt,
		editedAt: row.editedAt,
		deletedAt: row.deletedAt,
		isOwn: row.senderId !== null && row.senderId === viewer.viewerId,
		isRead: row.seq <= viewer.lastReadSeq,
		readByCounterpartAt: row.readByCounterpartAt,
		via: row.via ?? 'app',
		// A deleted message's files are deleted with it.
		attachments: row.deletedAt ? [] : attachmentRows(row.attachments).map(toAttachmentJson)
	};
}

// ---- Thread ----------------------------------------------------------------------------------

const counterpartUser = alias(users, 'counterpart_user');
const lastMessage = alias(messages, 'last_message');
const lastSender = alias(users, 'last_sender');
const lastAgent = alias(apiTokens, 'last_agent');
const lastActingFor = alias(users, 'last_acting_for');

export const PREVIEW_LENGTH = 140;

/** A thread as the viewer sees it, plus what the server needs but does not send. */
export type ThreadRow = ThreadJson & { cursorAt: string; lastReadSeq: number };

const viewerId = sql.placeholder('viewerId');

/**
 * Thread views as one viewer sees them. Every join is by primary key from the viewer's participant
 * rows, so a page costs O(page size) however many messages the threads hold. Built once per
 * database handle and filter (see preparedPerDb); the values come as placeholders.
 */
export function buildThreadViews(
	db: Db,
	where: SQL | undefined,
	options: {
		inbox?: boolean;
		/**
		 * The rows are found by thread ids in `where`, the viewer only filters them: written so
		 * that no plan can start from the viewer's own index (which for a busy provider is a pass
		 * over all their participant rows).
		 */
		byThreadIds?: boolean;
	} = {}
) {
	const query = db
		.select({
			id: messageThreads.id,
			contractId: messageThreads.contractId,
			subject: messageThreads.subject,
			status: messageThreads.status,
			createdAt: isoTime(messageThreads.createdAt),
			lastMessageAt: isoTime(participants.lastMessageAt),
			cursorAt: sql<string>`${participants.lastMessageAt}::text`,
			messageCount: messageThreads.messageCount,
			unreadCount: participants.unreadCount,
			lastReadSeq: participants.lastReadSeq,
			lastMessageBody: sql<
				string | null
			>`left(${bodyForViewer(lastMessage, viewerId)}, ${sql.raw(String(PREVIEW_LENGTH))})`,
			lastMessageFiles: messageFiles(lastMessage.id),
			lastMessageSenderRole: lastMessage.senderRole,
			lastMessageCreatedAt: isoTimeOrNull(lastMessage.createdAt),
			lastMessageDeleted: sql<boolean>`${lastMessage.deletedAt} is not null`,
			lastMessageSenderName: lastSender.displayName,
			lastMessageAgentName: lastAgent.name,
			lastMessageActingForName: lastActingFor.displayName,
			lastMessageSenderId: lastMessage.senderId,
			counterpartId: counterpartUser.id,
			counterpartName: counterpartUser.displayName,
			counterpartSuspended: sql<boolean>`${counterpartUser.suspendedAt} is not null`,
			providerId: contracts.providerId,
			contractStatus: contracts.status,
			contractRequestedAt: isoTime(contracts.createdAt),
			archived: sql<boolean>`${participants.archivedAt} is not null`,
			muted: participants.muted
		})
		.from(participants)
		.innerJoin(messageThreads, eq(messageThreads.id, participants.threadId))
		.innerJoin(contracts, eq(contracts.id, messageThreads.contractId))
		.innerJoin(
			counterpartUser,
			eq(
				counterpartUser.id,
				sql`case when ${contracts.providerId} = ${viewerId} then ${contracts.requesterId} else ${contracts.providerId} end`
			)
		)
		.leftJoin(lastMessage, eq(lastMessage.id, messageThreads.lastMessageId))
		.leftJoin(lastSender, eq(lastSender.id, lastMessage.senderId))
		.leftJoin(lastAgent, sql`${lastAgent.id}::text = ${lastMessage.agentId}`)
		.leftJoin(lastActingFor, eq(lastActingFor.id, lastMessage.actingForId))
		.where(
			and(
				options.byThreadIds
					? sql`(${participants.userId} = ${viewerId}) is true`
					: eq(participants.userId, viewerId),
				where
			)
		)
		.$dynamic();
	if (!options.inbox) return query;
	return (
		query
			// Spelled like the index (desc nulls last) so Postgres walks it instead of sorting.
			.orderBy(
				sql`${participants.lastMessageAt} desc nulls last`,
				sql`${participants.threadId} desc nulls last`
			)
			.limit(sql.placeholder('limit'))
	);
}

type ThreadViewRow = Awaited<ReturnType<typeof buildThreadViews>>[number];

export function toThreadRow(r: ThreadViewRow, viewer: string): ThreadRow {
	return {
		id: r.id,
		contractId: r.contractId,
		subject: r.subject,
		status: r.status,
		createdAt: r.createdAt,
		lastMessageAt: r.lastMessageAt,
		cursorAt: r.cursorAt,
		lastReadSeq: r.lastReadSeq,
		messageCount: r.messageCount,
		unreadCount: r.unreadCount,
		lastMessage:
			r.lastMessageBody !== null && r.lastMessageSenderRole && r.lastMessageCreatedAt
				? {
						body: textWithFiles(
							r.lastMessageBody,
							r.lastMessageDeleted ? [] : attachmentRows(r.lastMessageFiles)
						).slice(0, PREVIEW_LENGTH),
						senderName:
							r.lastMessageSenderName ??
							(r.lastMessageSenderRole === 'assistant'
								? assistantLabel(r.lastMessageAgentName, r.lastMessageActingForName)
								: null),
						senderRole: r.lastMessageSenderRole,
						createdAt: r.lastMessageCreatedAt,
						deleted: r.lastMessageDeleted,
						isOwn: r.lastMessageSenderId === viewer
					}
				: null,
		counterpart: {
			id: r.counterpartId,
			name: r.counterpartName,
			role: r.providerId === viewer ? 'requester' : 'provider',
			suspended: r.counterpartSuspended
		},
		contract: { status: r.contractStatus, requestedAt: r.contractRequestedAt },
		archived: r.archived,
		muted: r.muted
	};
}

export function toThreadJson(view: ThreadRow): ThreadJson {
	const { cursorAt: _cursorAt, lastReadSeq: _lastReadSeq, ...thread } = view;
	return thread;
}
