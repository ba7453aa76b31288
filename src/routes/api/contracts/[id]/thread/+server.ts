import { getDb } from '$lib/server/db';
import { getThread, patchThread } from '$lib/server/http/messaging-api';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = (event) => getThread(getDb(), event);
export const PATCH: RequestHandler = (event) => patchThread(getDb(), event);
