import { and, eq, sql } from 'drizzle-orm';
import type { z } from 'zod';
import type { reportSchema } from '$lib/schemas/moderation';
import type { Db } from '../db';
import {
	messageThreadParticipants as participants,
	messageThreads,
	messages,
	reports
} from '../db/schema';
import { DomainError } from '../errors';
import { areCounterparts, blockUser } from './blocks';

// A party reports a message of their conversation, or the other party of a shared contract;
// operators act on the reports at /admin/reports (admin.ts).

export type ReportInput = z.output<typeof reportSchema>;

export interface ReportCreated {
	id: string;
	status: 'open' | 'dismissed' | 'actioned';
	blocked: boolean;
}

export class CannotReportError extends DomainError {
	constructor(message: string) {
		super(400, 'bad_request', message);
	}
}

async function createReport(
	db: Db,
	reporterId: string,
	reportedUserId: string,
	input: ReportInput,
	about: { messageId?: string; contractId?: string }
): Promise<ReportCreated> {
	// Reporting the same message (or person) again while the first report is open answers that
	// report, unchanged. One statement against the partial unique index, so twenty submits at once
	// still store one: the later inserts wait for the first and take its row.
	const kind = about.messageId ? 'message' : 'person';
	const [report] = await db
		.insert(reports)
		.values({
			reporterId,
			reportedUserId,
			messageId: about.messageId ?? null,
			contractId: about.contractId ?? null,
			kind,
			reason: input.reason,
			note: input.note
		})
		.onConflictDoUpdate({
			target:
				kind === 'message'
					? [reports.reporterId, reports.messageId]
					: [reports.reporterId, reports.reportedUserId],
			// The predicates of reports_open_message_key and reports_open_person_key (schema.ts).
			targetWhere:
				kind === 'message'
					? sql.raw(`status = 'open' and kind = 'message'`)
					: sql.raw(`status = 'open' and kind = 'person'`),
			// A no-op update, so that RETURNING answers the open report.
			set: { reporterId: sql`excluded.reporter_id` }
		})
		.returning({ id: reports.id, status: reports.status });
	if (input.block) await blockUser(db, reporterId, reportedUserId);
	return { id: report!.id, status: report!.status, blocked: input.block };
}

/**
 * Reports a message of a conversation the reporter takes part in; null when they do not (or it
 * does not exist). The person reported is its sender, or the party an assistant wrote it for.
 */
export async function reportMessage(
	db: Db,
	reporterId: string,
	messageId: string,
	input: ReportInput
): Promise<ReportCreated | null> {
	const [message] = await db
		.select({
			senderId: messages.senderId,
			actingForId: messages.actingForId,
			senderRole: messages.senderRole,
			contractId: messageThreads.contractId
		})
		.from(messages)
		.innerJoin(messageThreads, eq(messageThreads.id, messages.threadId))
		.innerJoin(
			participants,
			and(eq(participants.threadId, messages.threadId), eq(participants.userId, reporterId))
		)
		.where(eq(messages.id, messageId));
	if (!message) return null;
	if (message.senderRole === 'system') {
		throw new CannotReportError('Status messages come from Parley and cannot be reported.');
	}
	const reportedUserId = message.actingForId ?? message.senderId;
	if (!reportedUserId) throw new CannotReportError('This message has no author to report.');
	if (reportedUserId === reporterId) {
		throw new CannotReportError('You cannot report your own message.');
	}
	return createReport(db, reporterId, reportedUserId, input, {
		messageId,
		contractId: message.contractId
	});
}

/** Reports a person the reporter shares a contract with; null for anyone else. */
export async function reportUser(
	db: Db,
	reporterId: string,
	userId: string,
	input: ReportInput
): Promise<ReportCreated | null> {
	if (!(await areCounterparts(db, reporterId, userId))) return null;
	return createReport(db, reporterId, userId, input, {});
}
