import { json } from '@sveltejs/kit';
import { getConfig } from '$lib/server/config';
import { isAuthorizedCronCall, runMessageNotificationsCron } from '$lib/server/cron';
import { getDb } from '$lib/server/db';
import { errorResponse } from '$lib/server/http/api';
import type { RequestHandler } from './$types';

// POST for schedulers that can, GET for those that only GET; both need the CRON_SECRET bearer.
const run: RequestHandler = async ({ request }) => {
	const secret = getConfig().cron.secret;
	if (!secret) {
		return errorResponse(
			503,
			'service_unavailable',
			'CRON_SECRET is not set on the server, so cron calls are refused.'
		);
	}
	if (!isAuthorizedCronCall(request.headers.get('authorization'), secret)) {
		return errorResponse(401, 'unauthorized', 'Send Authorization: Bearer <CRON_SECRET>.');
	}
	return json(await runMessageNotificationsCron(getDb()));
};

export const POST = run;
export const GET = run;
