import { and, sql } from 'drizzle-orm';
import type { ThreadJson } from '$lib/schemas/messaging';
import type { Db } from '../db';
import { preparedPerDb } from '../db/prepared';
import { messageThreadParticipants as participants } from '../db/schema';
import { InvalidCursorError } from './errors';
import { isPostgresTimestampText } from './timestamp-text';
import { buildThreadViews, toThreadJson, toThreadRow } from './views';

// Inbox cursors carry Postgres' own text form of the timestamp (microseconds, with offset), so
// keyset comparisons are exact; a JavaScript Date would round to milliseconds and skip rows.
function encodeInboxCursor(at: string, threadId: string): string {
	return Buffer.from(JSON.stringify([at, threadId])).toString('base64url');
}

function decodeInboxCursor(cursor: string): { at: string; threadId: string } {
	try {
		const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
		if (
			Array.isArray(value) &&
			isPostgresTimestampText(value[0]) &&
			typeof value[1] === 'string' &&
			/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value[1])
		) {
			return { at: value[0], threadId: value[1] };
		}
	} catch {
		// not base64url JSON: reported below like any other bad cursor
	}
	throw new InvalidCursorError();
}

// One prepared query per combination of the inbox's filters (cursor, unread only, archived).
// The filters are SQL text, not parameters, so every variant keeps its own plan on the indexes.
const BOOLS = [false, true] as const;
const inboxQueries = BOOLS.map((withCursor) =>
	BOOLS.map((unreadOnly) =>
		BOOLS.map((archived) =>
			preparedPerDb((db) =>
				buildThreadViews(
					db,
					and(
						withCursor
							? sql`(${participants.lastMessageAt}, ${participants.threadId}) < (${sql.placeholder('cursorAt')}::timestamptz, ${sql.placeholder('cursorId')}::uuid)`
							: undefined,
						unreadOnly ? sql`${participants.unreadCount} > 0` : undefined,
						archived
							? sql`${participants.archivedAt} is not null`
							: sql`${participants.archivedAt} is null`
					),
					{ inbox: true }
				).prepare(
					`inbox_${withCursor ? 'after' : 'first'}_${unreadOnly ? 'unread' : 'all'}_${archived ? 'archived' : 'inbox'}`
				)
			)
		)
	)
);

/**
 * Threads I am in, most recent activity first, by keyset on (last_message_at, thread_id): the
 * inbox, or with `archived` the threads I archived (they come back with the next message).
 */
export async function listInbox(
	db: Db,
	viewer: string,
	options: { cursor?: string; limit: number; unreadOnly?: boolean; archived?: boolean }
): Promise<{ threads: ThreadJson[]; nextCursor: string | null }> {
	const cursor = options.cursor ? decodeInboxCursor(options.cursor) : null;
	const query =
		inboxQueries[cursor ? 1 : 0]![options.unreadOnly ? 1 : 0]![options.archived ? 1 : 0]!(db);
	const rows = await query.execute({
		viewerId: viewer,
		limit: options.limit + 1,
		cursorAt: cursor?.at,
		cursorId: cursor?.threadId
	});
	const page = rows.slice(0, options.limit).map((row) => toThreadRow(row, viewer));
	const last = page.at(-1);
	return {
		threads: page.map(toThreadJson),
		nextCursor:
			rows.length > options.limit && last ? encodeInboxCursor(last.cursorAt, last.id) : null
	};
}
