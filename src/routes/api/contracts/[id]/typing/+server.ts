import { getDb } from '$lib/server/db';
import { postTyping } from '$lib/server/http/messaging-api';
import type { RequestHandler } from './$types';

export const POST: RequestHandler = (event) => postTyping(getDb(), event);
