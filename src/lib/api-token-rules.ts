// API token rules that the browser needs too (the settings form): no zod here, this module ships
// to the browser.

export const API_SCOPES = ['messages:read', 'messages:write', 'contracts:read'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export const SCOPE_DESCRIPTIONS: Record<ApiScope, string> = {
	'messages:read': 'Read conversations: inbox, messages, unread count, search, live stream',
	'messages:write': 'Write in conversations: send, mark read or unread, edit, delete, typing',
	'contracts:read': 'Read my contracts'
};

export const TOKEN_KINDS = ['personal', 'agent'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

export const TOKEN_EXPIRY_DAYS = [30, 90, 365] as const;

/** Every token starts with this, so secret scanners and people can tell what it is. */
export const TOKEN_PREFIX = 'parley_pat_';
export const TOKEN_NAME_MAX_LENGTH = 60;
