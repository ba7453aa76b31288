import { getDb } from '$lib/server/db';
import { putMessageRead } from '$lib/server/http/messaging-api';
import type { RequestHandler } from './$types';

export const PUT: RequestHandler = (event) => putMessageRead(getDb(), event);
