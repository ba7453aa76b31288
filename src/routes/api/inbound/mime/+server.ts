import { getConfig } from '$lib/server/config';
import { getDb } from '$lib/server/db';
import { receiveMimeRequest } from '$lib/server/email/inbound-doors';
import type { RequestHandler } from './$types';

// A mail server's hook (Postfix pipe, an MTA webhook): the raw email, INBOUND_SECRET as bearer.
export const POST: RequestHandler = ({ request, url }) =>
	receiveMimeRequest(getDb(), request, url, getConfig());
