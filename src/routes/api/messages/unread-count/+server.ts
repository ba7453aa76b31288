import { getDb } from '$lib/server/db';
import { getUnread } from '$lib/server/http/messaging-api';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = (event) => getUnread(getDb(), event);
