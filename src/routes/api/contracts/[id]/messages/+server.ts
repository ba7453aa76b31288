import { getDb } from '$lib/server/db';
import { getMessages, postMessage } from '$lib/server/http/messaging-api';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = (event) => getMessages(getDb(), event);
export const POST: RequestHandler = (event) => postMessage(getDb(), event);
