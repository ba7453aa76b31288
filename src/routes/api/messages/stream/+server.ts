import { appDatabase } from '$lib/server/db';
import { openStream } from '$lib/server/http/messaging-api';
import { appLiveHub } from '$lib/server/live/hub';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = (event) => {
	const database = appDatabase();
	return openStream(database.db, appLiveHub(database), event);
};
