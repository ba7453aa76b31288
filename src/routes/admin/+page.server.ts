import { redirect } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { requireOperator } from '$lib/server/guards';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals }) => {
	await requireOperator(getDb(), locals);
	redirect(303, '/admin/reports');
};
