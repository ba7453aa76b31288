import type { MessageJson } from '../../src/lib/schemas/messaging';
import type { Db } from '../../src/lib/server/db';
import { appendMessage, type AppendInput } from '../../src/lib/server/messaging';

/** A party writes a message in the app: appendMessage as most tests need it. */
export async function send(
	db: Db,
	userId: string,
	contractId: string,
	body: string,
	options: Omit<AppendInput, 'body'> = {}
): Promise<MessageJson | null> {
	const appended = await appendMessage(db, { kind: 'user', userId }, contractId, {
		body,
		...options
	});
	return appended?.message ?? null;
}
