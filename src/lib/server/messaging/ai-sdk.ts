import type { ModelMessage, UIMessage } from 'ai';
import type { z } from 'zod';
import { uiMessageMetadataSchema, type MessageJson } from '$lib/schemas/messaging';

// A thread in the two message forms of the Vercel AI SDK (`ai` 6.x): UIMessage for anything that
// shows or stores a conversation, ModelMessage for a model that speaks in it for one participant.

export const DELETED_MESSAGE_TEXT = 'This message was deleted.';
/** How a system message is quoted to a model (a user turn, never the system role). */
export const PARLEY_NOTICE = '[Parley notice]';

/** What a UIMessage carries besides its text (the schema is in the API's schemas). */
export const parleyMessageMetadataSchema = uiMessageMetadataSchema;

export type ParleyMessageMetadata = z.infer<typeof parleyMessageMetadataSchema>;
export type ParleyUIMessage = UIMessage<ParleyMessageMetadata>;

/**
 * One UIMessage per message, oldest first as given, id = message id, role = sender_role.
 * `isOwn` is relative to `viewerId` when given, else the `isOwn` the MessageJson was built with.
 * A deleted message stays (the conversation keeps its shape) with a placeholder text.
 */
export function toUIMessages(messages: MessageJson[], viewerId?: string): ParleyUIMessage[] {
	assertOneThread(messages);
	return messages.map((m) => ({
		id: m.id,
		role: m.senderRole,
		parts: [{ type: 'text', text: m.deletedAt ? DELETED_MESSAGE_TEXT : m.body }],
		metadata: {
			threadId: m.threadId,
			contractId: m.contractId,
			senderId: m.senderId,
			senderName: m.senderName,
			createdAt: m.createdAt,
			editedAt: m.editedAt,
			deletedAt: m.deletedAt,
			isOwn: viewerId === undefined ? m.isOwn : m.senderId !== null && m.senderId === viewerId
		}
	}));
}

/**
 * The prompt for a model writing as `speakerId`: that participant's messages are its own
 * ('assistant'), everyone else's are 'user' turns named in the text ("Rita Renter: ..."; an
 * assistant-role sender is named "Assistant"). A system message becomes a user turn marked
 * "[Parley notice]": its text can carry conversation content (a hand-off reason is written by a
 * model from the renter's words), and content in the system role would be obeyed as instructions.
 * Deleted messages are left out: their text was erased on purpose. Consecutive turns are not merged.
 */
export function toModelMessages(messages: MessageJson[], speakerId: string): ModelMessage[] {
	assertOneThread(messages);
	return messages.flatMap((m): ModelMessage[] => {
		if (m.deletedAt) return [];
		if (m.senderRole === 'system') return [{ role: 'user', content: `${PARLEY_NOTICE} ${m.body}` }];
		if (m.senderId !== null && m.senderId === speakerId) {
			return [{ role: 'assistant', content: m.body }];
		}
		const name = m.senderRole === 'assistant' ? 'Assistant' : (m.senderName ?? 'Unknown sender');
		return [{ role: 'user', content: `${name}: ${m.body}` }];
	});
}

// Mixing threads would hand one contract's conversation to a party of another.
function assertOneThread(messages: MessageJson[]) {
	const threadId = messages[0]?.threadId;
	if (messages.some((m) => m.threadId !== threadId)) {
		throw new Error('The messages belong to more than one thread.');
	}
}
