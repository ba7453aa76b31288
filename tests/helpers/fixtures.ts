import {
	createSession,
	createUser,
	generateSessionToken,
	type SessionUser
} from '../../src/lib/server/auth';
import type { Db } from '../../src/lib/server/db';
import { createOffering } from '../../src/lib/server/offerings';
import { rentOffering } from '../../src/lib/server/contracts';
import type { ApiEvent } from '../../src/lib/server/http/contracts-api';

let n = 0;

/** A user whose address is confirmed, as the demo data's are (see email-confirmation.test.ts). */
export async function makeUser(db: Db, name = 'Test User'): Promise<SessionUser> {
	n++;
	return createUser(
		db,
		{
			displayName: `${name} ${n}`,
			email: `user${n}-${Date.now()}@example.test`,
			password: 'correct horse battery'
		},
		{ confirmed: true }
	);
}

/** A provider, a requester, a stranger and a requested contract between the first two. */
export async function makeWorld(db: Db) {
	const provider = await makeUser(db, 'Provider');
	const requester = await makeUser(db, 'Requester');
	const stranger = await makeUser(db, 'Stranger');
	const offering = await createOffering(db, provider.id, {
		name: 'GPU box',
		description: 'A fast machine.',
		monthlyPrice: 34900
	});
	const contract = (await rentOffering(db, requester.id, offering.id))!;
	return { provider, requester, stranger, offering, contract };
}

export async function sessionTokenFor(db: Db, user: SessionUser): Promise<string> {
	const token = generateSessionToken();
	await createSession(db, token, user.id);
	return token;
}

/** A RequestEvent-shaped object for calling endpoint handlers directly. */
export function apiEvent(
	user: SessionUser | null,
	init: {
		method?: string;
		path?: string;
		params?: Record<string, string>;
		json?: unknown;
		body?: string;
		headers?: Record<string, string>;
		/** The session the request came with (the cookie's), for code that acts on it. */
		sessionId?: string | null;
	} = {}
): ApiEvent {
	const url = new URL(init.path ?? '/api/test', 'http://localhost');
	const headers = new Headers(init.headers);
	let body: string | undefined = init.body;
	if (init.json !== undefined) {
		body = JSON.stringify(init.json);
		if (!headers.has('content-type')) headers.set('content-type', 'application/json');
	}
	return {
		request: new Request(url, { method: init.method ?? 'GET', headers, body }),
		locals: { user, sessionId: init.sessionId ?? null, requestId: 'test' },
		params: init.params ?? {},
		url
	};
}
