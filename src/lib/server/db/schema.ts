import { sql } from 'drizzle-orm';
import {
	boolean,
	check,
	index,
	integer,
	pgTable,
	text,
	timestamp,
	uniqueIndex,
	uuid
} from 'drizzle-orm/pg-core';
import { CONTRACT_STATUSES, type ContractStatus } from '../../types';

const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const users = pgTable(
	'users',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		email: text('email').notNull(),
		displayName: text('display_name').notNull(),
		passwordHash: text('password_hash').notNull(),
		emailNotifications: boolean('email_notifications').notNull().default(true),
		createdAt: timestamptz('created_at').notNull().defaultNow()
	},
	(t) => [
		// One account per address whatever the letter case; lookups use lower(email) too.
		uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`)
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
		createdAt: timestamptz('created_at').notNull().defaultNow()
	},
	(t) => [
		index('sessions_user_id_idx').on(t.userId),
		index('sessions_expires_at_idx').on(t.expiresAt)
	]
);

/** One row per failed login; the throttle counts recent rows per email and per IP. */
export const loginFailures = pgTable(
	'login_failures',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		email: text('email').notNull(),
		ip: text('ip').notNull(),
		createdAt: timestamptz('created_at').notNull().defaultNow()
	},
	(t) => [
		index('login_failures_email_created_idx').on(t.email, t.createdAt),
		index('login_failures_ip_created_idx').on(t.ip, t.createdAt),
		index('login_failures_created_idx').on(t.createdAt)
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
