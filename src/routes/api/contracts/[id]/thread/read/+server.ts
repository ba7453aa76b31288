import { getDb } from '$lib/server/db';
import { putThreadRead } from '$lib/server/http/messaging-api';
import type { RequestHandler } from './$types';

export const PUT: RequestHandler = (event) => putThreadRead(getDb(), event);
