import { z } from 'zod';
import {
	API_SCOPES,
	SCOPE_DESCRIPTIONS,
	TOKEN_EXPIRY_DAYS,
	TOKEN_KINDS,
	TOKEN_NAME_MAX_LENGTH,
	TOKEN_PREFIX,
	type ApiScope,
	type TokenKind
} from '../api-token-rules';

// API tokens: what a form or a JSON request may ask for, and what the API answers about them.
// The settings page and POST /api/tokens validate with the same schema.

export {
	API_SCOPES,
	SCOPE_DESCRIPTIONS,
	TOKEN_EXPIRY_DAYS,
	TOKEN_KINDS,
	TOKEN_NAME_MAX_LENGTH,
	TOKEN_PREFIX,
	type ApiScope,
	type TokenKind
};

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/u;

export const createTokenSchema = z
	.object({
		name: z
			.string({ error: 'Give the token a name.' })
			.trim()
			.min(1, 'Give the token a name.')
			.max(TOKEN_NAME_MAX_LENGTH, `Names are at most ${TOKEN_NAME_MAX_LENGTH} characters.`)
			.refine((name) => !CONTROL.test(name), 'The name contains control characters.')
			.meta({
				description:
					'Shown in the token list; for an agent token also in its messages, as “<name> for <you>”.'
			}),
		scopes: z
			.array(z.enum(API_SCOPES, { error: `Scopes are ${API_SCOPES.join(', ')}.` }), {
				error: 'Choose at least one scope.'
			})
			.min(1, 'Choose at least one scope.')
			// Stored sorted and once each, whatever order the request listed them in.
			.transform((scopes) => API_SCOPES.filter((scope) => scopes.includes(scope))),
		kind: z.enum(TOKEN_KINDS, { error: 'Kind must be "personal" or "agent".' }).meta({
			description:
				'personal: acts as you. agent: an AI agent acting for you; its messages are labelled as the assistant’s.'
		}),
		expiresInDays: z
			.union([z.literal(30), z.literal(90), z.literal(365), z.null()], {
				error: 'expiresInDays must be 30, 90, 365 or null (never).'
			})
			.meta({ description: '30, 90 or 365 days, or null for a token that never expires.' })
	})
	.meta({ id: 'CreateApiToken' });

export type CreateTokenInput = z.output<typeof createTokenSchema>;

/** The settings form's fields as the JSON body would carry them ("never" becomes null). */
export function tokenFormInput(form: FormData): unknown {
	const expiry = form.get('expiresInDays');
	return {
		name: form.get('name') ?? '',
		scopes: form.getAll('scopes'),
		kind: form.get('kind'),
		expiresInDays: expiry === 'never' ? null : Number(expiry)
	};
}

const isoDate = z.iso.datetime({ offset: true }).meta({ description: 'ISO-8601, UTC' });

export const apiTokenSchema = z
	.object({
		id: z.uuid(),
		name: z.string(),
		prefix: z.string().meta({ description: 'The first characters of the token, to recognise it.' }),
		scopes: z.array(z.enum(API_SCOPES)),
		kind: z.enum(TOKEN_KINDS),
		createdAt: isoDate,
		lastUsedAt: isoDate.nullable().meta({ description: 'Updated at most once a minute.' }),
		expiresAt: isoDate.nullable().meta({ description: 'null: never expires.' })
	})
	.meta({ id: 'ApiToken' });

export const apiTokenListSchema = z
	.object({
		tokens: z.array(apiTokenSchema).meta({ description: 'Newest first; revoked ones are gone.' })
	})
	.meta({ id: 'ApiTokenList' });

export const createdTokenSchema = z
	.object({
		id: z.uuid(),
		token: z.string().meta({ description: 'The token itself: shown this once, never again.' }),
		name: z.string(),
		prefix: z.string(),
		scopes: z.array(z.enum(API_SCOPES)),
		kind: z.enum(TOKEN_KINDS),
		expiresAt: isoDate.nullable()
	})
	.meta({ id: 'CreatedApiToken' });

export type ApiTokenJson = z.infer<typeof apiTokenSchema>;
export type CreatedTokenJson = z.infer<typeof createdTokenSchema>;
