import { json } from '@sveltejs/kit';
import { apiTokenListSchema, createTokenSchema, createdTokenSchema } from '$lib/schemas/api-tokens';
import { createApiToken, listApiTokens, revokeApiToken } from '../api-tokens';
import { notFound } from './api';
import { endpoint } from './endpoint';

// Managing API tokens is managing the account: these take the session cookie only (scope
// 'session'), so a token can neither mint another nor revoke its siblings.

export const getTokens = endpoint({
	method: 'GET',
	path: '/api/tokens',
	summary: 'My API tokens (not the tokens themselves: name, prefix, scopes, dates)',
	scope: 'session',
	responses: { 200: { description: 'The tokens', schema: apiTokenListSchema } },
	async handler({ db, user }) {
		return json({ tokens: await listApiTokens(db, user.id) });
	}
});

export const postToken = endpoint({
	method: 'POST',
	path: '/api/tokens',
	summary:
		'Create an API token; the answer carries the token itself, this once. At most 20 live tokens; creation is rate-limited (API_TOKENS_PER_HOUR)',
	scope: 'session',
	body: createTokenSchema,
	responses: { 201: { description: 'The new token', schema: createdTokenSchema } },
	errors: [409, 429],
	async handler({ db, user, body }) {
		const created = await createApiToken(db, user.id, await body());
		return json(created, { status: 201, headers: { 'cache-control': 'no-store' } });
	}
});

export const deleteToken = endpoint({
	method: 'DELETE',
	path: '/api/tokens/{id}',
	summary: 'Revoke an API token: the next request with it answers 401',
	scope: 'session',
	params: { id: { description: 'Token id', notFound: 'No such token.' } },
	responses: { 204: { description: 'Revoked (also when it already was)' } },
	async handler({ db, user, params }) {
		if ((await revokeApiToken(db, user.id, params.id)) === null) throw notFound('No such token.');
		return new Response(null, { status: 204 });
	}
});
