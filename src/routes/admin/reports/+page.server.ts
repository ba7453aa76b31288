import { error } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { requireOperator } from '$lib/server/guards';
import { listReports } from '$lib/server/moderation';
import type { PageServerLoad } from './$types';

const PAGE = 100;

export const load: PageServerLoad = async ({ locals, url }) => {
	const operator = await requireOperator(getDb(), locals);
	const status = url.searchParams.get('status') === 'closed' ? 'closed' : 'open';
	const reports = await listReports(getDb(), operator.id, { status, limit: PAGE });
	if (!reports) error(404, 'Not found');
	return { title: 'Reports', status, reports };
};
