import { error } from '@sveltejs/kit';
import { desc } from 'drizzle-orm';
import { dev } from '$app/environment';
import { getDb } from '$lib/server/db';
import { emailQueue } from '$lib/server/db/schema';
import type { PageServerLoad } from './$types';

// Development only: what would have been emailed, since without RESEND_API_KEY nothing is sent.
export const load: PageServerLoad = async () => {
	if (!dev) error(404, 'Not found');
	const emails = await getDb()
		.select()
		.from(emailQueue)
		.orderBy(desc(emailQueue.createdAt))
		.limit(50);
	return { emails };
};
