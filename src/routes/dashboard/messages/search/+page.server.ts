import { error } from '@sveltejs/kit';
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
	if (!form.q) return { ...base, results: null, problem: null };

	const query = searchQuerySchema.safeParse(given);
	if (!query.success) {
		return { ...base, results: null, problem: query.error.issues[0]?.message ?? 'Invalid search.' };
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
