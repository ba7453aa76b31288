// The messaging domain's public surface: routes, endpoints, the live hub and other domains import
// from here. One file per concern behind it:
//   append.ts       every author's messages go in through appendMessage
//   lifecycle.ts    edit and delete (unsend) after sending
//   read-state.ts   read, unread, the badge
//   threads.ts      a conversation as a party sees it; inbox.ts the list of them
//   search.ts       full-text search over a person's conversations (search-query.ts: the syntax)
//   views.ts        the one mapper per JSON shape (Message, Thread)
//   parties.ts      who may see and write where; errors.ts what can go wrong
//   notifications.ts, metrics.ts, ai-sdk.ts
export { appendMessage, type Appended, type AppendInput, type Author } from './append';
export { deleteMessage, editMessage } from './lifecycle';
export { sendFormMessage, type FormSendResult } from './send-form';
export {
	getUnreadByContract,
	getUnreadCount,
	markMessageRead,
	markMessageUnread,
	markThreadRead
} from './read-state';
export {
	getMessageForViewer,
	getThreadById,
	getThreadForContract,
	getThreadViewForContract,
	listMessages,
	listMessagesAfter,
	listMessagesAround,
	setThreadPreference,
	setThreadStatus,
	type MessagePage,
	type MessageWindow
} from './threads';
export { listInbox } from './inbox';
export {
	NAME_CANDIDATES,
	NAME_WINDOW,
	READ_THREAD_MESSAGES,
	searchMessages,
	THREAD_MATCHES,
	type SearchOptions
} from './search';
export { counterpartOf, findContractForParty, isPartyOf, type ContractParties } from './parties';
export { getProviderResponseMetrics } from './metrics';
export { processDueNotifications, type NotifyCounts } from './notifications';
export { toModelMessages, toUIMessages, type ParleyUIMessage } from './ai-sdk';
export * from './errors';
