import { json } from '@sveltejs/kit';
import { searchQuerySchema, searchResultsSchema } from '$lib/schemas/search';
import { searchMessages } from '../messaging';
import { notFound } from './api';
import { endpoint } from './endpoint';

// Search over the caller's conversations; the same domain function serves the results page.

export const getSearch = endpoint({
	method: 'GET',
	path: '/api/messages/search',
	summary:
		'Search my conversations: matching messages with highlighted snippets, by relevance (or sort=recent), and on the first page the conversations whose counterpart or title match',
	scope: 'messages:read',
	query: searchQuerySchema,
	responses: { 200: { description: 'One page of results', schema: searchResultsSchema } },
	errors: [404],
	async handler({ db, user, query }) {
		const results = await searchMessages(db, user.id, {
			q: query.q,
			contractId: query.contractId,
			from: query.from,
			after: query.after,
			before: query.before,
			includeSystem: query.include === 'system',
			hasAttachments: query.has === 'attachments',
			sort: query.sort,
			cursor: query.cursor,
			limit: query.limit
		});
		if (!results) throw notFound('No such contract.');
		return json(results);
	}
});
