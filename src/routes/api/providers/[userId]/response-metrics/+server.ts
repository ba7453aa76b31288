import { getDb } from '$lib/server/db';
import { getResponseMetrics } from '$lib/server/http/messaging-api';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = (event) => getResponseMetrics(getDb(), event);
