import { sha256 } from '@oslojs/crypto/sha2';
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from '@oslojs/encoding';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import {
	TOKEN_PREFIX,
	type ApiScope,
	type ApiTokenJson,
	type CreateTokenInput,
	type CreatedTokenJson,
	type TokenKind
} from '$lib/schemas/api-tokens';
import type { SessionUser } from './auth';
import { getConfig } from './config';
import type { Db } from './db';
import { isoTime, isoTimeOrNull } from './db/iso-time';
import { preparedPerDb } from './db/prepared';
import { apiTokens, users } from './db/schema';
import { DomainError } from './errors';
import type { Author } from './messaging';

// API tokens for scripts and AI agents, kept like sessions: 32 random bytes in the token, only
// their SHA-256 in the table (a leaked table hands out no working tokens), plus a short prefix
// so people can tell their tokens apart. Limits live in Postgres, so every instance sees them.

export const MAX_LIVE_TOKENS = 20;

/** The token a request came with, as the endpoints and the MCP server see it. */
export interface ApiTokenPrincipal {
	id: string;
	kind: TokenKind;
	name: string;
	scopes: ApiScope[];
}

export interface TokenAuth {
	user: SessionUser;
	token: ApiTokenPrincipal;
}

export class TokenLimitError extends DomainError {
	constructor() {
		super(409, 'conflict', `You have ${MAX_LIVE_TOKENS} tokens already; revoke one first.`);
	}
}

export class TokenRateLimitError extends DomainError {
	constructor(readonly retryAfterSeconds: number) {
		super(
			429,
			'rate_limited',
			`Too many tokens created in the last hour; try again in ${Math.ceil(retryAfterSeconds / 60)} minutes.`,
			{ retryAfterSeconds }
		);
	}
}

// base32 of 32 bytes is 52 characters.
const TOKEN_PATTERN = /^parley_pat_[a-z2-7]{52}$/;
const PREFIX_LENGTH = TOKEN_PREFIX.length + 6;

export function generateApiToken(): string {
	return TOKEN_PREFIX + encodeBase32LowerCaseNoPadding(crypto.getRandomValues(new Uint8Array(32)));
}

export function hashApiToken(token: string): string {
	return encodeHexLowerCase(sha256(new TextEncoder().encode(token)));
}

const tokenColumns = {
	id: apiTokens.id,
	name: apiTokens.name,
	prefix: apiTokens.prefix,
	scopes: apiTokens.scopes,
	kind: apiTokens.kind,
	createdAt: isoTime(apiTokens.createdAt),
	lastUsedAt: isoTimeOrNull(apiTokens.lastUsedAt),
	expiresAt: isoTimeOrNull(apiTokens.expiresAt)
};

const live = sql`${apiTokens.revokedAt} is null and (${apiTokens.expiresAt} is null or ${apiTokens.expiresAt} > now())`;

/**
 * Creates a token and answers it, the only time the token itself is seen. At most MAX_LIVE_TOKENS
 * live tokens per user and `perHour` creations an hour (revoked ones count: revoking does not
 * reopen the window). Creations by one user take turns on the user's row, so two at once cannot
 * both slip under a limit.
 */
export async function createApiToken(
	db: Db,
	userId: string,
	input: CreateTokenInput,
	limits: { perHour: number } = { perHour: getConfig().apiTokens.createPerHour }
): Promise<CreatedTokenJson> {
	const token = generateApiToken();
	return db.transaction(async (tx) => {
		await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for('update');
		const [counts] = await tx
			.select({
				live: sql<number>`(count(*) filter (where ${live}))::int`,
				recent: sql<number>`(count(*) filter (where ${apiTokens.createdAt} > now() - interval '1 hour'))::int`,
				// When the oldest creation in the window leaves it, in seconds from now.
				reopensIn: sql<
					number | null
				>`extract(epoch from min(${apiTokens.createdAt}) filter (where ${apiTokens.createdAt} > now() - interval '1 hour') + interval '1 hour' - now())::float8`
			})
			.from(apiTokens)
			.where(eq(apiTokens.userId, userId));
		if ((counts?.recent ?? 0) >= limits.perHour) {
			throw new TokenRateLimitError(Math.max(1, Math.ceil(counts?.reopensIn ?? 3600)));
		}
		if ((counts?.live ?? 0) >= MAX_LIVE_TOKENS) throw new TokenLimitError();
		const [row] = await tx
			.insert(apiTokens)
			.values({
				userId,
				name: input.name,
				kind: input.kind,
				scopes: input.scopes,
				tokenHash: hashApiToken(token),
				prefix: token.slice(0, PREFIX_LENGTH),
				expiresAt:
					input.expiresInDays === null
						? null
						: sql`now() + make_interval(days => ${input.expiresInDays}::int)`
			})
			.returning({
				id: apiTokens.id,
				name: apiTokens.name,
				prefix: apiTokens.prefix,
				scopes: apiTokens.scopes,
				kind: apiTokens.kind,
				expiresAt: isoTimeOrNull(apiTokens.expiresAt)
			});
		return { ...row!, token };
	});
}

/** The user's tokens that are not revoked (expired ones too, shown as expired), newest first. */
export async function listApiTokens(db: Db, userId: string): Promise<ApiTokenJson[]> {
	return db
		.select(tokenColumns)
		.from(apiTokens)
		.where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
		.orderBy(desc(apiTokens.createdAt), desc(apiTokens.id));
}

/**
 * Revokes one of the user's tokens, answering its name; the next request with it answers 401.
 * Also when it was revoked already; null when there is no such token of theirs. The row stays,
 * so the messages an agent token wrote keep their label.
 */
export async function revokeApiToken(
	db: Db,
	userId: string,
	tokenId: string
): Promise<string | null> {
	const [revoked] = await db
		.update(apiTokens)
		.set({ revokedAt: sql`coalesce(${apiTokens.revokedAt}, now())` })
		.where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId)))
		.returning({ name: apiTokens.name });
	return revoked?.name ?? null;
}

// Every request with a token runs this one, so it is built once per database handle.
const tokenByHash = preparedPerDb((db) =>
	db
		.select({
			token: {
				id: apiTokens.id,
				kind: apiTokens.kind,
				name: apiTokens.name,
				scopes: apiTokens.scopes
			},
			user: {
				id: users.id,
				email: users.email,
				displayName: users.displayName,
				emailNotifications: users.emailNotifications,
				emailConfirmed: sql<boolean>`(${users.emailConfirmedAt} is not null)`
			},
			touch: sql<boolean>`${apiTokens.lastUsedAt} is null or ${apiTokens.lastUsedAt} < now() - interval '1 minute'`
		})
		.from(apiTokens)
		.innerJoin(users, eq(users.id, apiTokens.userId))
		.where(and(eq(apiTokens.tokenHash, sql.placeholder('hash')), live, isNull(users.suspendedAt)))
		.prepare('api_token_by_hash')
);

/**
 * The user and token behind a bearer token; null when it is unknown, revoked or expired (alike,
 * so a caller learns nothing about which). last_used_at moves at most once a minute: most
 * requests read it and write nothing, and the conditional UPDATE lets one of several instances
 * racing on the same minute win.
 */
export async function resolveApiToken(db: Db, token: string): Promise<TokenAuth | null> {
	if (!TOKEN_PATTERN.test(token)) return null;
	const [row] = await tokenByHash(db).execute({ hash: hashApiToken(token) });
	if (!row) return null;
	if (row.touch) {
		await db
			.update(apiTokens)
			.set({ lastUsedAt: sql`now()` })
			.where(
				and(
					eq(apiTokens.id, row.token.id),
					sql`(${apiTokens.lastUsedAt} is null or ${apiTokens.lastUsedAt} < now() - interval '1 minute')`
				)
			);
	}
	return { user: row.user, token: row.token };
}

/**
 * Who writes when a request posts a message: the user, or with an agent token the assistant
 * acting for the user, so the message is labelled as the assistant's and is never the user's
 * own response.
 */
export function messageAuthor(userId: string, token: ApiTokenPrincipal | null): Author {
	return token?.kind === 'agent'
		? { kind: 'assistant', agentId: token.id, actingFor: userId }
		: { kind: 'user', userId };
}
