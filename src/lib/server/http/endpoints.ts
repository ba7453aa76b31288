import {
	deleteAssistantDraft,
	deleteOfferingAssistantSettings,
	getAssistant,
	getAssistantLanguageSetting,
	getOfferingAssistants,
	getOfferingAssistantSettings,
	putAssistantLanguageSetting,
	putOfferingAssistantSettings,
	getContractAssistant,
	getTranslation,
	postAssistantResume,
	postAssistantStop,
	postDraft,
	postSummary,
	putAssistant
} from './assistant-api';
import { getAttachment, postAttachment } from './attachments-api';
import { changeContractStatus, createContract, getContract, listContracts } from './contracts-api';
import type { Endpoint } from './endpoint';
import {
	archiveThread,
	getInbox,
	getMessages,
	getResponseMetrics,
	getThread,
	getUnread,
	patchMessage,
	patchThread,
	postMessage,
	postTyping,
	putMessageRead,
	putMessageUnread,
	putThreadRead,
	removeMessage,
	streamEvents,
	unarchiveThread,
	muteThread,
	unmuteThread
} from './messaging-api';
import {
	deleteBlock,
	getBlocks,
	postMessageReport,
	postUserReport,
	putBlock
} from './moderation-api';
import { getSearch } from './search-api';
import { deleteToken, getTokens, postToken } from './tokens-api';

/**
 * Every JSON endpoint, in the order /api/openapi.json lists them. A test checks that each one is
 * served by the route its path names, and that every route under src/routes/api is declared here.
 */
export const ENDPOINTS: readonly Endpoint[] = [
	getMessages,
	postMessage,
	postAttachment,
	getAttachment,
	getThread,
	patchThread,
	putThreadRead,
	archiveThread,
	unarchiveThread,
	muteThread,
	unmuteThread,
	putMessageRead,
	putMessageUnread,
	patchMessage,
	removeMessage,
	getUnread,
	streamEvents,
	postTyping,
	getInbox,
	getSearch,
	getResponseMetrics,
	listContracts,
	createContract,
	getContract,
	changeContractStatus,
	getTokens,
	postToken,
	deleteToken,
	postDraft,
	deleteAssistantDraft,
	postSummary,
	getContractAssistant,
	postAssistantResume,
	postAssistantStop,
	getTranslation,
	getAssistant,
	putAssistant,
	getOfferingAssistants,
	getOfferingAssistantSettings,
	putOfferingAssistantSettings,
	deleteOfferingAssistantSettings,
	getAssistantLanguageSetting,
	putAssistantLanguageSetting,
	postMessageReport,
	postUserReport,
	putBlock,
	deleteBlock,
	getBlocks
];
