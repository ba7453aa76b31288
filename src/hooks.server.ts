import type { Handle, HandleServerError, ServerInit } from '@sveltejs/kit';
import { SESSION_COOKIE, validateSessionToken } from '$lib/server/auth';
import { dev } from '$app/environment';
import { ConfigError, getConfig } from '$lib/server/config';
import { runMessageNotificationsCron } from '$lib/server/cron';
import { appDatabase, type Db } from '$lib/server/db';
import { appLiveHub } from '$lib/server/live/hub';
import { attachmentStorage } from '$lib/server/attachments/storage';
import {
	allowImageOrigin,
	hstsHeader,
	installServerResponseHeaders,
	isPrivateResponse
} from '$lib/server/security-headers';
import { useDevStandIn } from '$lib/server/assistant/model';
import { startStandInModel, STAND_IN_MODEL } from '$lib/server/assistant/stand-in';
import { isForbiddenCrossSiteForm } from '$lib/server/http/csrf';
import { bodySizeLimitWarning } from '$lib/server/email/inbound-doors';
import { deleteSessionCookie, setSessionCookie } from '$lib/server/session-cookie';

export const init: ServerInit = async () => {
	checkConfig();
	// Every instance migrates at start-up; an advisory lock makes concurrent starts take turns.
	const database = appDatabase();
	await database.migrate();
	console.log(`Parley: database ready (${database.driver}: ${database.location}).`);
	if (dev) {
		await startDevStandInModel();
		startDevCron(database.db);
	}
	installServerResponseHeaders(getConfig().email.publicOrigin);
	if (!dev) {
		const warning = bodySizeLimitWarning(getConfig(), process.env.BODY_SIZE_LIMIT);
		if (warning) console.warn(warning);
	}
	// adapter-node stops taking requests on SIGINT/SIGTERM and then emits this; without closing
	// the pool and the LISTEN connection the process would never exit by itself.
	process.once('sveltekit:shutdown', () => {
		appLiveHub(database)
			.close()
			.then(() => database.close())
			.catch((err) => console.error('Parley: shutdown failed:', err));
	});
};

// Every setting is validated before anything else runs, so a bad one stops the server here with one
// message naming them all, rather than surfacing later as failing requests or cron runs.
function checkConfig() {
	try {
		getConfig();
	} catch (err) {
		// In development the error is shown on every request instead, and Vite keeps running.
		if (dev || !(err instanceof ConfigError)) throw err;
		// adapter-node would print the rejection with a stack trace: the list alone says it all.
		console.error(err.message);
		process.exit(1);
	}
}

// In development without AI_BASE_URL the assistant talks to the stand-in model (rules, not a
// language model; its replies say so), so drafts, translations and auto replies can be tried after
// `npm run dev`. AI_DEV_STAND_IN=false turns it off; AI_BASE_URL points at a real model instead.
async function startDevStandInModel() {
	if (getConfig().ai.model || !getConfig().ai.devStandIn) return;
	const holder = globalThis as typeof globalThis & { [DEV_STAND_IN]?: string };
	holder[DEV_STAND_IN] ??= (await startStandInModel({ chunkDelayMs: 120 })).baseUrl;
	useDevStandIn(holder[DEV_STAND_IN], STAND_IN_MODEL);
	console.log(`Parley: the assistant uses the dev stand-in model at ${holder[DEV_STAND_IN]}.`);
}
const DEV_STAND_IN = Symbol.for('parley.dev-ai-stand-in');

// In development nothing else calls the cron job: run it every minute so emails show up in
// /dev/outbox right after `npm run dev`. Production uses an external scheduler (see README).
function startDevCron(db: Db) {
	const holder = globalThis as typeof globalThis & { [DEV_CRON]?: NodeJS.Timeout };
	if (holder[DEV_CRON]) return;
	holder[DEV_CRON] = setInterval(() => {
		runMessageNotificationsCron(db).catch((err) => console.error('Dev cron run failed:', err));
	}, 60_000);
	holder[DEV_CRON].unref();
}
const DEV_CRON = Symbol.for('parley.dev-cron');

export const handle: Handle = async ({ event, resolve }) => {
	if (isForbiddenCrossSiteForm(event.request, event.url)) {
		return new Response('Cross-site POST form submissions are forbidden', { status: 403 });
	}
	event.locals.requestId = crypto.randomUUID();
	event.locals.user = null;
	event.locals.sessionId = null;

	const token = event.cookies.get(SESSION_COOKIE);
	if (token) {
		const result = await validateSessionToken(appDatabase().db, token);
		if (result.session) {
			event.locals.user = result.user;
			event.locals.sessionId = result.session.id;
			if (result.renewed)
				setSessionCookie(event.cookies, event.url, token, result.session.expiresAt);
		} else {
			deleteSessionCookie(event.cookies, event.url);
		}
	}

	const response = await resolve(event);
	response.headers.set('x-request-id', event.locals.requestId);
	// kit.csp is fixed at build time; the bucket's origin is a runtime setting (S3_DOWNLOADS).
	const bucketOrigin = attachmentStorage().downloadOrigin;
	const csp = response.headers.get('content-security-policy');
	if (bucketOrigin && csp && response.headers.get('content-type')?.startsWith('text/html')) {
		response.headers.set('content-security-policy', allowImageOrigin(csp, bucketOrigin));
	}
	response.headers.set('x-content-type-options', 'nosniff');
	response.headers.set('referrer-policy', 'strict-origin-when-cross-origin');
	response.headers.set('x-frame-options', 'DENY');
	const hsts = hstsHeader(getConfig().email.publicOrigin);
	if (hsts) response.headers.set('strict-transport-security', hsts);
	if (isPrivateResponse(event.url.pathname, event.locals.user !== null)) {
		// The live stream keeps no-transform, so no proxy buffers it to compress it.
		const stream = response.headers.get('content-type')?.startsWith('text/event-stream');
		response.headers.set('cache-control', stream ? 'no-store, no-transform' : 'no-store');
	}
	return response;
};

export const handleError: HandleServerError = ({ error, event, status, message }) => {
	if (status === 404) return { message };
	const requestId = event.locals.requestId ?? crypto.randomUUID();
	console.error(`[${requestId}] ${event.request.method} ${event.url.pathname}:`, error);
	return { message: 'Something went wrong on our side.', requestId };
};
