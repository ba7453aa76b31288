import { uuidSchema } from '$lib/schemas/contracts';
import type { Db } from '$lib/server/db';
import { listMessagesAfter, listMessagesAround, type MessageWindow } from '$lib/server/messaging';

export const WINDOW_SIZE = 50;

/** What the page needs besides the messages when it shows a window of an older stretch. */
export interface WindowInfo {
	/** "Load newer" pages from here; null when the window reaches the newest message. */
	newerCursor: string | null;
	/** The message to scroll to on open. */
	positionId: string | null;
	/** The message a search result opened, shown highlighted. */
	highlightId: string | null;
}

/**
 * A search result opens the conversation at its message (`?around=<message id>`), however far
 * back; "Load newer" goes on from there (`?after=<cursor>`). Null for the usual newest page, and
 * for an `around` that is not a message of this conversation (the newest page is shown instead).
 */
export async function loadMessageWindow(
	db: Db,
	userId: string,
	contractId: string,
	url: URL
): Promise<(MessageWindow & { info: WindowInfo }) | null> {
	const around = uuidSchema.safeParse(url.searchParams.get('around'));
	if (around.success) {
		const page = await listMessagesAround(db, userId, contractId, around.data, {
			limit: WINDOW_SIZE
		});
		return page
			? {
					...page,
					info: {
						newerCursor: page.newerCursor,
						positionId: around.data,
						highlightId: around.data
					}
				}
			: null;
	}
	const after = url.searchParams.get('after');
	if (after && /^\d{1,10}$/.test(after)) {
		const page = await listMessagesAfter(db, userId, contractId, {
			after: Number(after),
			limit: WINDOW_SIZE
		});
		// Reading on from where the last window ended: its first message at the top.
		return page
			? {
					...page,
					info: {
						newerCursor: page.newerCursor,
						positionId: page.messages[0]?.id ?? null,
						highlightId: null
					}
				}
			: null;
	}
	return null;
}
