import { getDb } from '$lib/server/db';
import { getInbox } from '$lib/server/http/messaging-api';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = (event) => getInbox(getDb(), event);
