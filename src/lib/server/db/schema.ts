import { sql, type SQL } from 'drizzle-orm';
import {
	bigserial,
	boolean,
	check,
	index,
	integer,
	jsonb,
	pgTable,
	primaryKey,
	smallint,
	text,
	timestamp,
	uniqueIndex,
	uuid
} from 'drizzle-orm/pg-core';
import { CONTRACT_STATUSES, type ContractStatus } from '../../types';
import type { ApiScope } from '../../schemas/api-tokens';
import { ASSISTANT_MODES } from '../../assistant-rules';
import { foldedText, scopedTerms, SEARCH_CONFIG, tsvector } from './search-text';

export const USER_ROLES = ['user', 'operator'] as const;

const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const users = pgTable(
	'users',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		email: text('email').notNull(),
		displayName: text('display_name').notNull(),
		passwordHash: text('password_hash').notNull(),
		emailNotifications: boolean('email_notifications').notNull().default(true),
		// The assistant's language for this user (translations, summaries, drafts), a BCP 47 tag;
		// null follows the browser (its Accept-Language).
		assistantLanguage: text('assistant_language'),
		createdAt: timestamptz('created_at').notNull().defaultNow(),
		// 'operator' reaches /admin (npm run user:role -- EMAIL operator).
		role: text('role', { enum: USER_ROLES }).notNull().default('user'),
		// Set by an operator (moderation/suspension.ts): no sign-in, no email, shown as suspended.
		suspendedAt: timestamptz('suspended_at'),
		// When the owner proved the address is theirs (email-confirmation.ts). Until then the account
		// gets no email but the confirmation link, and cannot log in with its password.
		emailConfirmedAt: timestamptz('email_confirmed_at')
	},
	(t) => [
		// One confirmed account per address whatever the letter case. Sign-up does not reveal whether
		// an address is taken, so unconfirmed accounts may share one; the first to confirm owns it.
		uniqueIndex('users_confirmed_email_lower_key')
			.on(sql`lower(${t.email})`)
			.where(sql`${t.emailConfirmedAt} is not null`),
		index('users_email_lower_idx').on(sql`lower(${t.email})`),
		check('users_role_check', sql`${t.role} in ('user', 'operator')`),
		// Search finds conversations by the other party's name, parts of words included.
		index('users_name_trgm_idx').using('gin', sql`${foldedText(t.displayName)} gin_trgm_ops`)
	]
);

/** Links that confirm an address: only the token's SHA-256 is kept; each works once, for 24 h. */
export const emailConfirmations = pgTable(
	'email_confirmations',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		userId: uuid('user_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		// The address the link was sent to: it confirms that one, not whatever the account has now.
		email: text('email').notNull(),
		tokenHash: text('token_hash').notNull(),
		expiresAt: timestamptz('expires_at').notNull(),
		usedAt: timestamptz('used_at'),
		createdAt: timestamptz('created_at').notNull().defaultNow()
	},
	(t) => [
		uniqueIndex('email_confirmations_token_hash_key').on(t.tokenHash),
		index('email_confirmations_user_id_idx').on(t.userId)
	]
);

export const sessions = pgTable(
	'sessions',
	{
		// hex(sha256(token)): a leaked table does not hand out working cookies.
		id: text('id').primaryKey(),
		userId: uuid('user_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		expiresAt: timestamptz('expires_at').notNull(),
		createdAt: timestamptz('created_at').notNull().defaultNow(),
		// For the list of sessions in settings: refreshed at most every few minutes, not per request.
		lastSeenAt: timestamptz('last_seen_at').notNull().defaultNow(),
		userAgent: text('user_agent')
	},
	(t) => [
		index('sessions_user_id_idx').on(t.userId),
		index('sessions_expires_at_idx').on(t.expiresAt)
	]
);

/**
 * Rate limits and the login throttle, shared by every app instance: one row per key (e.g.
 * "messages:minute:<user id>"), counting hits until `window_ends_at`; the first hit after that starts
 * a new window. One upsert counts and answers, so concurrent requests cannot both slip under a limit.
 */
export const rateLimitCounters = pgTable(
	'rate_limit_counters',
	{
		key: text('key').primaryKey(),
		hits: integer('hits').notNull(),
		windowEndsAt: timestamptz('window_ends_at').notNull()
	},
	(t) => [index('rate_limit_counters_window_ends_at_idx').on(t.windowEndsAt)]
);

export const API_TOKEN_KINDS = ['personal', 'agent'] as const;

/**
 * API tokens for scripts and agents: like sessions, only hex(sha256(token)) is stored, plus a
 * short prefix to tell them apart. Revoked rows stay, so an agent's messages keep its name.
 */
export const apiTokens = pgTable(
	'api_tokens',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		userId: uuid('user_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		name: text('name').notNull(),
		kind: text('kind', { enum: API_TOKEN_KINDS }).notNull(),
		scopes: text('scopes').array().notNull().$type<ApiScope[]>(),
		tokenHash: text('token_hash').notNull(),
		prefix: text('prefix').notNull(),
		createdAt: timestamptz('created_at').notNull().defaultNow(),
		expiresAt: timestamptz('expires_at'),
		// Written at most once a minute (resolveApiToken), not on every request.
		lastUsedAt: timestamptz('last_used_at'),
		revokedAt: timestamptz('revoked_at')
	},
	(t) => [
		uniqueIndex('api_tokens_token_hash_key').on(t.tokenHash),
		// The live-token limit and the hourly creation limit count a user's rows by creation time.
		index('api_tokens_user_created_idx').on(t.userId, t.createdAt),
		// messages.agent_id holds the token's id as text: the message reads join on this.
		uniqueIndex('api_tokens_id_text_key').on(sql`(${t.id}::text)`),
		check('api_tokens_kind_check', sql`${t.kind} in ('personal', 'agent')`),
		check(
			'api_tokens_scopes_check',
			sql`cardinality(${t.scopes}) > 0 and ${t.scopes} <@ array['messages:read', 'messages:write', 'contracts:read']::text[]`
		)
	]
);

export const offerings = pgTable(
	'offerings',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		providerId: uuid('provider_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		name: text('name').notNull(),
		description: text('description').notNull(),
		monthlyPriceCents: integer('monthly_price_cents').notNull(),
		createdAt: timestamptz('created_at').notNull().defaultNow(),
		updatedAt: timestamptz('updated_at').notNull().defaultNow()
	},
	(t) => [
		index('offerings_provider_id_idx').on(t.providerId, t.createdAt),
		index('offerings_created_at_idx').on(t.createdAt),
		check('offerings_price_nonnegative', sql`${t.monthlyPriceCents} >= 0`)
	]
);

export { CONTRACT_STATUSES, type ContractStatus };

export const contracts = pgTable(
	'contracts',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		offeringId: uuid('offering_id')
			.notNull()
			.references(() => offerings.id, { onDelete: 'restrict' }),
		requesterId: uuid('requester_id')
			.notNull()
			.references(() => users.id, { onDelete: 'restrict' }),
		providerId: uuid('provider_id')
			.notNull()
			.references(() => users.id, { onDelete: 'restrict' }),
		title: text('title').notNull(),
		monthlyPriceCents: integer('monthly_price_cents').notNull(),
		status: text('status', { enum: CONTRACT_STATUSES }).notNull().default('requested'),
		createdAt: timestamptz('created_at').notNull().defaultNow(),
		updatedAt: timestamptz('updated_at').notNull().defaultNow()
	},
	(t) => [
		index('contracts_requester_idx').on(t.requesterId, t.createdAt),
		index('contracts_provider_idx').on(t.providerId, t.createdAt),
		index('contracts_offering_idx').on(t.offeringId),
		// Search finds conversations by the contract's title, parts of words included.
		index('contracts_title_trgm_idx').using('gin', sql`${foldedText(t.title)} gin_trgm_ops`),
		check(
			'contracts_status_check',
			sql`${t.status} in ('requested', 'active', 'rejected', 'cancelled', 'completed')`
		),
		check('contracts_parties_differ', sql`${t.requesterId} <> ${t.providerId}`)
	]
);

export const contractEvents = pgTable(
	'contract_events',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		contractId: uuid('contract_id')
			.notNull()
			.references(() => contracts.id, { onDelete: 'cascade' }),
		actorId: uuid('actor_id')
			.notNull()
			.references(() => users.id, { onDelete: 'restrict' }),
		// null for the creation of the contract
		fromStatus: text('from_status', { enum: CONTRACT_STATUSES }),
		toStatus: text('to_status', { enum: CONTRACT_STATUSES }).notNull(),
		createdAt: timestamptz('created_at').notNull().defaultNow()
	},
	(t) => [
		index('contract_events_contract_idx').on(t.contractId, t.createdAt),
		index('contract_events_actor_idx').on(t.actorId)
	]
);

export type User = typeof users.$inferSelect;
export type Offering = typeof offerings.$inferSelect;
export type Contract = typeof contracts.$inferSelect;
export type ContractEvent = typeof contractEvents.$inferSelect;

// ---------------------------------------------------------------------------------------------
// Messaging

export const THREAD_STATUSES = ['open', 'resolved', 'closed'] as const;
export const PARTICIPANT_ROLES = ['requester', 'provider', 'assistant'] as const;
export const SENDER_ROLES = ['user', 'assistant', 'system'] as const;
export const NOTIFICATION_STATUSES = ['pending', 'sent', 'skipped', 'failed'] as const;
export const MESSAGE_VIA = ['app', 'email'] as const;

export const messageThreads = pgTable(
	'message_threads',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		contractId: uuid('contract_id')
			.notNull()
			.references(() => contracts.id, { onDelete: 'cascade' }),
		subject: text('subject').notNull(),
		status: text('status', { enum: THREAD_STATUSES }).notNull().default('open'),
		createdAt: timestamptz('created_at').notNull().defaultNow(),
		lastMessageAt: timestamptz('last_message_at').notNull().defaultNow(),
		// The per-thread sequence: sends lock this row, take last_seq + 1 and commit in that order.
		lastSeq: integer('last_seq').notNull().default(0),
		messageCount: integer('message_count').notNull().default(0),
		// So an inbox page joins one message per thread instead of scanning them.
		lastMessageId: uuid('last_message_id')
	},
	(t) => [
		uniqueIndex('message_threads_contract_key').on(t.contractId),
		check('message_threads_status_check', sql`${t.status} in ('open', 'resolved', 'closed')`)
	]
);

export const messageThreadParticipants = pgTable(
	'message_thread_participants',
	{
		threadId: uuid('thread_id')
			.notNull()
			.references(() => messageThreads.id, { onDelete: 'cascade' }),
		userId: uuid('user_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		role: text('role', { enum: PARTICIPANT_ROLES }).notNull(),
		joinedAt: timestamptz('joined_at').notNull().defaultNow(),
		// Read state, changed only in the transactions that send or read: everything up to
		// last_read_seq has this reader's receipt, and unread_count counts the messages that do not.
		lastReadSeq: integer('last_read_seq').notNull().default(0),
		lastReadMessageId: uuid('last_read_message_id'),
		unreadCount: integer('unread_count').notNull().default(0),
		// The thread's last activity, copied here so the inbox is one index range per user.
		lastMessageAt: timestamptz('last_message_at').notNull().defaultNow(),
		// Per person: archived leaves the inbox until the next message; muted sends no email and
		// leaves the badge (the thread's own unread count still shows in the inbox).
		archivedAt: timestamptz('archived_at'),
		muted: boolean('muted').notNull().default(false)
	},
	(t) => [
		primaryKey({ columns: [t.threadId, t.userId] }),
		index('participants_inbox_idx').on(t.userId, t.lastMessageAt.desc(), t.threadId.desc()),
		// unread_count and muted ride along as the last key columns so the badge's sum is an
		// index-only scan: one index page per few hundred unread threads instead of one heap page each.
		index('participants_unread_idx')
			.on(t.userId, t.lastMessageAt.desc(), t.threadId.desc(), t.unreadCount, t.muted)
			.where(sql`${t.unreadCount} > 0`),
		check('participants_role_check', sql`${t.role} in ('requester', 'provider', 'assistant')`),
		check('participants_unread_nonnegative', sql`${t.unreadCount} >= 0`)
	]
);

export const messages = pgTable(
	'messages',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		threadId: uuid('thread_id')
			.notNull()
			.references(() => messageThreads.id, { onDelete: 'cascade' }),
		seq: integer('seq').notNull(),
		senderId: uuid('sender_id').references(() => users.id, { onDelete: 'set null' }),
		senderRole: text('sender_role', { enum: SENDER_ROLES }).notNull().default('user'),
		body: text('body').notNull(),
		// What the recipient reads when contact details were hidden at write time (CONTACT_MASKING,
		// messaging/contact-masking.ts); null when nothing was. `body` stays the sender's text, which
		// only the sender and moderators see.
		maskedBody: text('masked_body'),
		createdAt: timestamptz('created_at').notNull().defaultNow(),
		editedAt: timestamptz('edited_at'),
		// A deleted message keeps its place in the thread with an empty body.
		deletedAt: timestamptz('deleted_at'),
		// Who posted an assistant message, and the party it acted for (if any).
		agentId: text('agent_id'),
		actingForId: uuid('acting_for_id').references(() => users.id, { onDelete: 'set null' }),
		// How a person's message arrived: typed in the app, or a reply to a notification email.
		via: text('via', { enum: MESSAGE_VIA }).notNull().default('app'),
		// The contract's two parties, set on insert by the parley_message_parties trigger, so that
		// search is one index scan over "my messages" (see messages_scoped_terms_idx).
		partyIds: uuid('party_ids').array().notNull(),
		// Kept by Postgres in the same statement as every send, edit and delete; a deleted
		// message's empty body indexes nothing.
		search: tsvector('search')
			.notNull()
			.generatedAlwaysAs(
				(): SQL => sql`to_tsvector(${sql.raw(`'${SEARCH_CONFIG}'`)}, ${messages.body})`
			)
	},
	(t) => [
		uniqueIndex('messages_thread_seq_key').on(t.threadId, t.seq),
		// Words of the messages of one person's conversations: each word once per party, so that
		// a word's posting list in the index is that person's matches, and the weeks they were
		// written in, so that the newest of them are found without the rest (search-scope.ts).
		index('messages_scoped_terms_idx').using(
			'gin',
			scopedTerms(t.partyIds, t.search, t.createdAt, t.senderRole)
		),
		index('messages_sender_thread_seq_idx').on(t.senderId, t.threadId, t.seq),
		check('messages_sender_role_check', sql`${t.senderRole} in ('user', 'assistant', 'system')`),
		check('messages_via_check', sql`${t.via} in ('app', 'email')`),
		check(
			'messages_system_has_no_sender',
			sql`(${t.senderRole} = 'system') = (${t.senderId} is null) or ${t.senderRole} = 'assistant'`
		)
	]
);

export const messageReadReceipts = pgTable(
	'message_read_receipts',
	{
		messageId: uuid('message_id')
			.notNull()
			.references(() => messages.id, { onDelete: 'cascade' }),
		readerId: uuid('reader_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		readAt: timestamptz('read_at').notNull().defaultNow()
	},
	(t) => [
		primaryKey({ columns: [t.messageId, t.readerId] }),
		index('receipts_reader_idx').on(t.readerId)
	]
);

/** The texts an edit replaced, newest last; erased with the message when it is deleted. */
export const messageEdits = pgTable(
	'message_edits',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		messageId: uuid('message_id')
			.notNull()
			.references(() => messages.id, { onDelete: 'cascade' }),
		previousBody: text('previous_body').notNull(),
		editedAt: timestamptz('edited_at').notNull().defaultNow()
	},
	(t) => [index('message_edits_message_idx').on(t.messageId, t.editedAt)]
);

/**
 * Idempotency-Key of a post, per author (scope 'user:<id>' or 'agent:<id>'), kept 24 hours: a
 * retry finds the message it already created. The request hash tells a retry from a reuse.
 */
export const messageIdempotencyKeys = pgTable(
	'message_idempotency_keys',
	{
		scope: text('scope').notNull(),
		key: text('key').notNull(),
		requestHash: text('request_hash').notNull(),
		messageId: uuid('message_id').references(() => messages.id, { onDelete: 'cascade' }),
		createdAt: timestamptz('created_at').notNull().defaultNow()
	},
	(t) => [
		primaryKey({ columns: [t.scope, t.key] }),
		index('message_idempotency_keys_created_idx').on(t.createdAt)
	]
);

export const messageNotifications = pgTable(
	'message_notifications',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		messageId: uuid('message_id')
			.notNull()
			.references(() => messages.id, { onDelete: 'cascade' }),
		recipientId: uuid('recipient_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		// Copied from the message so a digest groups by (recipient, thread) without a join.
		threadId: uuid('thread_id')
			.notNull()
			.references(() => messageThreads.id, { onDelete: 'cascade' }),
		status: text('status', { enum: NOTIFICATION_STATUSES }).notNull().default('pending'),
		createdAt: timestamptz('created_at').notNull().defaultNow(),
		sentAt: timestamptz('sent_at'),
		// Bookkeeping for the email step: claims, retries and why a row ended as it did.
		attempts: integer('attempts').notNull().default(0),
		lockedUntil: timestamptz('locked_until'),
		processedAt: timestamptz('processed_at'),
		skipReason: text('skip_reason'),
		lastError: text('last_error'),
		emailQueueId: uuid('email_queue_id')
	},
	(t) => [
		uniqueIndex('message_notifications_message_recipient_key').on(t.messageId, t.recipientId),
		index('message_notifications_pending_idx')
			.on(t.createdAt)
			.where(sql`${t.status} = 'pending'`),
		index('message_notifications_recipient_thread_idx').on(t.recipientId, t.threadId, t.createdAt),
		index('message_notifications_last_sent_idx')
			.on(t.recipientId, t.threadId, t.sentAt)
			.where(sql`${t.status} = 'sent'`),
		check(
			'message_notifications_status_check',
			sql`${t.status} in ('pending', 'sent', 'skipped', 'failed')`
		)
	]
);

// ---------------------------------------------------------------------------------------------
// Email: a generic outbox drained by the cron run; message digests are its first type.

// `withheld`: never sent, because the recipient had not confirmed the address (queue.ts).
export const EMAIL_STATUSES = ['pending', 'sent', 'failed', 'logged', 'withheld'] as const;

export const emailQueue = pgTable(
	'email_queue',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		type: text('type').notNull(),
		recipientId: uuid('recipient_id').references(() => users.id, { onDelete: 'set null' }),
		toAddress: text('to_address').notNull(),
		subject: text('subject').notNull(),
		html: text('html').notNull(),
		text: text('text').notNull(),
		headers: jsonb('headers').$type<Record<string, string>>().notNull().default({}),
		// Sent to the provider with every attempt, so a retry or a crashed run never sends twice.
		idempotencyKey: text('idempotency_key').notNull(),
		status: text('status', { enum: EMAIL_STATUSES }).notNull().default('pending'),
		attempts: integer('attempts').notNull().default(0),
		nextAttemptAt: timestamptz('next_attempt_at').notNull().defaultNow(),
		// A claim is a lease: a run that dies mid-send leaves the row to be claimed again later.
		lockedUntil: timestamptz('locked_until'),
		lastError: text('last_error'),
		providerMessageId: text('provider_message_id'),
		createdAt: timestamptz('created_at').notNull().defaultNow(),
		sentAt: timestamptz('sent_at')
	},
	(t) => [
		uniqueIndex('email_queue_idempotency_key').on(t.idempotencyKey),
		index('email_queue_due_idx')
			.on(t.nextAttemptAt)
			.where(sql`${t.status} = 'pending'`),
		index('email_queue_created_idx').on(t.createdAt),
		check(
			'email_queue_status_check',
			sql`${t.status} in ('pending', 'sent', 'failed', 'logged', 'withheld')`
		)
	]
);

// Reply by email: notification emails carry Reply-To reply+TOKEN@INBOUND_EMAIL_DOMAIN, one token
// per recipient and contract. The table keeps sha256(token) only; the token itself is rebuilt for
// each new email as HMAC(APP_SECRET, nonce), so a leaked table hands out no working address.
export const emailReplyTokens = pgTable(
	'email_reply_tokens',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		userId: uuid('user_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		contractId: uuid('contract_id')
			.notNull()
			.references(() => contracts.id, { onDelete: 'cascade' }),
		/** 16 random bytes, base64url. */
		nonce: text('nonce').notNull(),
		/** hex(sha256(token)). */
		tokenHash: text('token_hash').notNull(),
		createdAt: timestamptz('created_at').notNull().defaultNow(),
		/** Set when the user turned emails off; a new email then issues a new token. */
		revokedAt: timestamptz('revoked_at')
	},
	(t) => [
		uniqueIndex('email_reply_tokens_user_contract_key').on(t.userId, t.contractId),
		uniqueIndex('email_reply_tokens_hash_key').on(t.tokenHash)
	]
);

// Emails received from a user and decided on (posted, or answered "not posted"), by their
// Message-ID (or their content without one): a provider retrying its webhook days later, or the
// same email arriving by both doors, finds its row and posts nothing. Kept INBOUND_DEDUPE_DAYS;
// the cron run deletes older rows.
export const inboundEmailReceipts = pgTable(
	'inbound_email_receipts',
	{
		userId: uuid('user_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		/** inbound.ts dedupeKey: a hash of the Message-ID. */
		dedupeKey: text('dedupe_key').notNull(),
		/** The message it posted; null when it was not posted (empty, too long, closed). */
		messageId: uuid('message_id').references(() => messages.id, { onDelete: 'set null' }),
		receivedAt: timestamptz('received_at').notNull().defaultNow()
	},
	(t) => [
		primaryKey({ columns: [t.userId, t.dedupeKey] }),
		index('inbound_email_receipts_received_idx').on(t.receivedAt)
	]
);

// ---------------------------------------------------------------------------------------------
// Live updates: a short-lived per-user event log. NOTIFY only says "user X has news"; each stream
// reads its user's rows after the last id it sent, which also serves Last-Event-ID on reconnect.

export const liveEvents = pgTable(
	'live_events',
	{
		id: bigserial('id', { mode: 'number' }).primaryKey(),
		userId: uuid('user_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		kind: text('kind').notNull(),
		threadId: uuid('thread_id').notNull(),
		messageId: uuid('message_id'),
		actorId: uuid('actor_id'),
		seq: integer('seq'),
		createdAt: timestamptz('created_at').notNull().defaultNow()
	},
	(t) => [
		index('live_events_user_idx').on(t.userId, t.id),
		index('live_events_created_idx').on(t.createdAt)
	]
);

/**
 * The open live streams of every instance, so the per-user limit holds across instances: a stream
 * past the limit closes the user's oldest. Each instance refreshes `seen_at` of its own streams;
 * rows of an instance that died without closing them go stale and stop counting.
 */
export const liveStreams = pgTable(
	'live_streams',
	{
		id: uuid('id').primaryKey(),
		userId: uuid('user_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		openedAt: timestamptz('opened_at').notNull().defaultNow(),
		seenAt: timestamptz('seen_at').notNull().defaultNow()
	},
	(t) => [
		index('live_streams_user_idx').on(t.userId, t.openedAt),
		index('live_streams_seen_idx').on(t.seenAt)
	]
);

// The AI assistant (src/lib/server/assistant/). A provider's assistant: off unless they turn it on.

export const assistantSettings = pgTable(
	'assistant_settings',
	{
		userId: uuid('user_id')
			.primaryKey()
			.references(() => users.id, { onDelete: 'cascade' }),
		mode: text('mode', { enum: ASSISTANT_MODES }).notNull().default('off'),
		instructions: text('instructions').notNull().default(''),
		facts: text('facts').notNull().default(''),
		delayMinutes: integer('delay_minutes').notNull().default(10),
		// When the mode last left 'off': a provider's earlier messages do not silence it.
		enabledAt: timestamptz('enabled_at'),
		updatedAt: timestamptz('updated_at').notNull().defaultNow()
	},
	(t) => [
		index('assistant_settings_auto_idx')
			.on(t.userId)
			.where(sql`${t.mode} <> 'off'`),
		check('assistant_settings_mode_check', sql`${t.mode} in ('off', 'draft', 'auto')`),
		check('assistant_settings_delay_check', sql`${t.delayMinutes} between 0 and 1440`)
	]
);

/**
 * A provider's assistant for one offering, over their default (assistant_settings): a null mode or
 * delay uses the default; the offering's facts and instructions are added to the default ones.
 * `enabledAt` as in assistant_settings, for an offering whose own mode is on.
 */
export const assistantOfferingSettings = pgTable(
	'assistant_offering_settings',
	{
		offeringId: uuid('offering_id')
			.primaryKey()
			.references(() => offerings.id, { onDelete: 'cascade' }),
		mode: text('mode', { enum: ASSISTANT_MODES }),
		instructions: text('instructions').notNull().default(''),
		facts: text('facts').notNull().default(''),
		delayMinutes: integer('delay_minutes'),
		enabledAt: timestamptz('enabled_at'),
		updatedAt: timestamptz('updated_at').notNull().defaultNow()
	},
	(t) => [
		index('assistant_offering_settings_on_idx')
			.on(t.offeringId)
			.where(sql`${t.mode} <> 'off'`),
		check('assistant_offering_settings_mode_check', sql`${t.mode} in ('off', 'draft', 'auto')`),
		check('assistant_offering_settings_delay_check', sql`${t.delayMinutes} between 0 and 1440`)
	]
);

/**
 * The assistant's state in one thread. `answeredSeq`: the renter message it last answered (or
 * drafted for, or handed off); `claimedUntil`: a cron run's lease while it writes; `resumedAt`: when
 * the provider turned it back on here (it is silent after any later message of theirs);
 * `stopRequestedAt`: the provider pressed Stop on a reply being written.
 */
export const assistantThreads = pgTable('assistant_threads', {
	threadId: uuid('thread_id')
		.primaryKey()
		.references(() => messageThreads.id, { onDelete: 'cascade' }),
	answeredSeq: integer('answered_seq').notNull().default(0),
	claimedUntil: timestamptz('claimed_until'),
	resumedAt: timestamptz('resumed_at'),
	stopRequestedAt: timestamptz('stop_requested_at'),
	draft: text('draft'),
	updatedAt: timestamptz('updated_at').notNull().defaultNow()
});

/** A message's translation into one language, made once and read by everyone who asks again. */
export const messageTranslations = pgTable(
	'message_translations',
	{
		messageId: uuid('message_id')
			.notNull()
			.references(() => messages.id, { onDelete: 'cascade' }),
		language: text('language').notNull(),
		// md5 of the text translated: an edited message is translated again.
		sourceHash: text('source_hash').notNull(),
		text: text('text').notNull(),
		createdAt: timestamptz('created_at').notNull().defaultNow()
	},
	(t) => [primaryKey({ columns: [t.messageId, t.language] })]
);

/** Model calls per user and UTC day, for AI_DAILY_CALLS_PER_USER (in Postgres: across instances). */
export const aiUsage = pgTable(
	'ai_usage',
	{
		userId: uuid('user_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		day: text('day').notNull(),
		calls: integer('calls').notNull().default(0)
	},
	(t) => [primaryKey({ columns: [t.userId, t.day] })]
);

export type LiveEventRow = typeof liveEvents.$inferSelect;
export type EmailQueueRow = typeof emailQueue.$inferSelect;
export type MessageThread = typeof messageThreads.$inferSelect;
export type Message = typeof messages.$inferSelect;

// ---------------------------------------------------------------------------------------------
// Trust and safety: reports, blocks and what operators did about them (src/lib/server/moderation).

export const REPORT_REASONS = ['spam', 'scam', 'harassment', 'contact_details', 'other'] as const;
export const REPORT_STATUSES = ['open', 'dismissed', 'actioned'] as const;
export const MODERATION_ACTIONS = ['dismiss', 'delete_message', 'suspend', 'unsuspend'] as const;
export const REPORT_KINDS = ['message', 'person'] as const;

/**
 * A party reports a message, or the other party of a shared contract. One open report per
 * reporter and message (or person): the partial unique indexes make a repeated or concurrent
 * submit answer the open report (moderation/reports.ts upserts against them).
 */
export const reports = pgTable(
	'reports',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		reporterId: uuid('reporter_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		reportedUserId: uuid('reported_user_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		// Null for a report about a person; kept when the message is deleted (its text is gone).
		messageId: uuid('message_id').references(() => messages.id, { onDelete: 'set null' }),
		contractId: uuid('contract_id').references(() => contracts.id, { onDelete: 'set null' }),
		// Kept apart from message_id, which a deleted message sets to null: the report stays about a message.
		kind: text('kind', { enum: REPORT_KINDS }).notNull(),
		reason: text('reason', { enum: REPORT_REASONS }).notNull(),
		note: text('note').notNull().default(''),
		status: text('status', { enum: REPORT_STATUSES }).notNull().default('open'),
		createdAt: timestamptz('created_at').notNull().defaultNow(),
		resolvedAt: timestamptz('resolved_at'),
		resolvedBy: uuid('resolved_by').references(() => users.id, { onDelete: 'set null' })
	},
	(t) => [
		index('reports_status_created_idx').on(t.status, t.createdAt),
		index('reports_reported_user_idx').on(t.reportedUserId),
		index('reports_reporter_idx').on(t.reporterId, t.createdAt),
		uniqueIndex('reports_open_message_key')
			.on(t.reporterId, t.messageId)
			.where(sql`status = 'open' and kind = 'message'`),
		uniqueIndex('reports_open_person_key')
			.on(t.reporterId, t.reportedUserId)
			.where(sql`status = 'open' and kind = 'person'`),
		check('reports_kind_check', sql`${t.kind} in ('message', 'person')`),
		check(
			'reports_reason_check',
			sql`${t.reason} in ('spam', 'scam', 'harassment', 'contact_details', 'other')`
		),
		check('reports_status_check', sql`${t.status} in ('open', 'dismissed', 'actioned')`),
		check('reports_not_self', sql`${t.reporterId} <> ${t.reportedUserId}`)
	]
);

/**
 * The blocker does not want new rentals with the blocked person. Their shared conversations stay
 * but are muted for the blocker: `mutedThreadIds` are the ones the block muted, unmuted again
 * when the block is lifted (the blocker's own mutes are left alone).
 */
export const userBlocks = pgTable(
	'user_blocks',
	{
		blockerId: uuid('blocker_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		blockedId: uuid('blocked_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		mutedThreadIds: uuid('muted_thread_ids')
			.array()
			.notNull()
			.default(sql`'{}'::uuid[]`),
		createdAt: timestamptz('created_at').notNull().defaultNow()
	},
	(t) => [
		primaryKey({ columns: [t.blockerId, t.blockedId] }),
		index('user_blocks_blocked_idx').on(t.blockedId),
		check('user_blocks_not_self', sql`${t.blockerId} <> ${t.blockedId}`)
	]
);

/** Every operator action: who, when, why, on what. Never updated or deleted. */
export const moderationActions = pgTable(
	'moderation_actions',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		operatorId: uuid('operator_id')
			.notNull()
			.references(() => users.id, { onDelete: 'restrict' }),
		action: text('action', { enum: MODERATION_ACTIONS }).notNull(),
		reason: text('reason').notNull(),
		reportId: uuid('report_id').references(() => reports.id, { onDelete: 'set null' }),
		targetUserId: uuid('target_user_id').references(() => users.id, { onDelete: 'set null' }),
		messageId: uuid('message_id').references(() => messages.id, { onDelete: 'set null' }),
		createdAt: timestamptz('created_at').notNull().defaultNow()
	},
	(t) => [
		index('moderation_actions_report_idx').on(t.reportId, t.createdAt),
		index('moderation_actions_created_idx').on(t.createdAt),
		check(
			'moderation_actions_action_check',
			sql`${t.action} in ('dismiss', 'delete_message', 'suspend', 'unsuspend')`
		)
	]
);

export type Report = typeof reports.$inferSelect;
export type ModerationAction = typeof moderationActions.$inferSelect;

/**
 * A file uploaded into a contract's conversation. It belongs to its uploader alone until a message
 * of theirs takes it (message_id set by parley_post_message); unattached uploads are deleted by the
 * cron run after a day, and deleting the message deletes its files. The bytes live in the
 * attachment storage (local disk or S3) under `storage_key`, with the WebP thumbnails of an image
 * beside it.
 */
export const attachments = pgTable(
	'attachments',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		contractId: uuid('contract_id')
			.notNull()
			.references(() => contracts.id, { onDelete: 'cascade' }),
		uploaderId: uuid('uploader_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		messageId: uuid('message_id').references(() => messages.id, { onDelete: 'cascade' }),
		/** Its place among the message's files, as the sender listed them (set with message_id). */
		position: smallint('position'),
		/** The sanitised name shown and sent in Content-Disposition. */
		filename: text('filename').notNull(),
		/** Sniffed from the content, never taken from the name or the declared type. */
		contentType: text('content_type').notNull(),
		size: integer('size').notNull(),
		/** An image's size after rotation per EXIF; null for other files. */
		width: integer('width'),
		height: integer('height'),
		storageKey: text('storage_key').notNull(),
		/** Whether WebP thumbnails (320 and 1280 px) were made. */
		hasThumbnails: boolean('has_thumbnails').notNull().default(false),
		/** 'ready' once checked (and scanned, with ClamAV configured). */
		status: text('status', { enum: ['ready'] })
			.notNull()
			.default('ready'),
		createdAt: timestamptz('created_at').notNull().defaultNow()
	},
	(t) => [
		index('attachments_message_idx').on(t.messageId),
		// The cron run finds unattached uploads by age.
		index('attachments_unattached_idx')
			.on(t.createdAt)
			.where(sql`${t.messageId} is null`),
		check('attachments_size_positive', sql`${t.size} > 0`),
		check('attachments_status_check', sql`${t.status} in ('ready')`)
	]
);
