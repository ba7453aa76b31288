import { error } from '@sveltejs/kit';
import type { z } from 'zod';
import { uuidSchema } from '$lib/schemas/contracts';
import { searchQuerySchema } from '$lib/schemas/search';
import { getContractForParty } from '$lib/server/contracts';
import { getDb } from '$lib/server/db';
import { DomainError } from '$lib/server/errors';
import { requireUser } from '$lib/server/guards';
import { searchMessages } from '$lib/server/messaging';
import type { PageServerLoad } from './$types';

// The results page: a GET form, so a search is a link that works without JavaScript. Searching
// changes nothing, so it is a load like any other read.
const FIELDS = ['q', 'contractId', 'from', 'after', 'before', 'include', 'has', 'sort'] as const;
export type SearchForm = Record<(typeof FIELDS)[number], string>;

const firstIssue = (error: z.ZodError) => error.issues[0]?.message ?? 'Invalid search.';

export const load: PageServerLoad = async ({ locals, url }) => {
	const user = requireUser(locals, url);
	const db = getDb();
	// The form as it was sent, to fill it in again; empty fields mean "not set".
	const form = Object.fromEntries(
		FIELDS.map((name) => [name, url.searchParams.get(name)?.trim() ?? ''])
	) as SearchForm;
	const given = Object.fromEntries(
		[...url.searchParams].filter(([, value]) => value.trim() !== '')
	);
	const conversation =
		form.contractId && uuidSchema.safeParse(form.contractId).success
			? await getContractForParty(db, user.id, form.contractId)
			: null;
	if (form.contractId && !conversation) error(404, 'Not found');
	const base = {
		title: form.q ? `Search: ${form.q}` : 'Search messages',
		form,
		conversation: conversation
			? { id: conversation.id, title: conversation.title, name: conversation.counterpart.name }
			: null,
		paged: !!form.q && url.searchParams.has('cursor')
	};
	// No query is the page's start; a query of only spaces was sent, and is answered as the API does.
	const query = searchQuerySchema.safeParse(given);
	if (!form.q) {
		const problem = url.searchParams.has('q') && !query.success ? firstIssue(query.error) : null;
		return { ...base, results: null, problem };
	}
	if (!query.success) {
		return { ...base, results: null, problem: firstIssue(query.error) };
	}
	try {
		const results = await searchMessages(db, user.id, {
			...query.data,
			includeSystem: query.data.include === 'system',
			hasAttachments: query.data.has === 'attachments'
		});
		if (!results) error(404, 'Not found');
		return { ...base, results, problem: null };
	} catch (err) {
		if (err instanceof DomainError && err.status === 400) {
			return { ...base, results: null, problem: err.message };
		}
		throw err;
	}
};
