import type { RequestHandler } from '@sveltejs/kit';
import type { z } from 'zod';
import type { ApiTokenPrincipal } from '../api-tokens';
import type { SessionUser } from '../auth';
import { appDatabase, getDb, type Db } from '../db';
import { appLiveHub, type LiveHub } from '../live/hub';
import { appAi, type Ai } from '../assistant/model';
import { handleApi, readHeaders, readJsonBody, readQuery, uuidParam } from './api';
import { authenticateCaller, type Access } from './bearer';

// An endpoint is declared once: method, path, parameters, body and responses sit next to the
// handler, the route file only serves it, and the OpenAPI document is built from the declarations.

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What a JSON endpoint needs of SvelteKit's RequestEvent; tests pass the same shape. */
export interface ApiEvent {
	request: Request;
	locals: App.Locals;
	params: Record<string, string | undefined>;
	url: URL;
}

/**
 * A path parameter. Every id in a path is a UUID: anything else cannot exist, so it answers 404
 * with `notFound`, the same message the handler gives for an id that is missing or not yours.
 */
export interface PathParam {
	description: string;
	notFound: string;
}

export interface ResponseSpec {
	description: string;
	/** The body's schema; one with `.meta({ id })` becomes a `$ref` to its component. */
	schema?: z.ZodType;
	/** `application/json` unless said otherwise (`text/event-stream`). */
	contentType?: string;
}

/** What handlers use besides the database; the app's by default, tests pass their own. */
export interface Services {
	liveHub(): LiveHub;
	/** The assistant's model and limits; null when none is configured. The app's when left out. */
	ai?: () => Ai | null;
}

const appServices: Services = { liveHub: () => appLiveHub(appDatabase()), ai: appAi };

type QuerySchema = z.ZodObject;
type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface EndpointContext<
	P extends string,
	Q extends QuerySchema | undefined,
	H extends QuerySchema | undefined,
	B extends z.ZodType | undefined,
	A extends boolean
> {
	db: Db;
	event: ApiEvent;
	/** The signed-in user; without one the wrapper has already answered 401. */
	user: A extends false ? SessionUser | null : SessionUser;
	/**
	 * The API token the request came with (its scopes already checked); null with the session
	 * cookie. An agent token writes as the assistant acting for `user` (see messageAuthor).
	 */
	token: ApiTokenPrincipal | null;
	/** The path parameters, already checked to be UUIDs. */
	params: Record<P, string>;
	query: Parsed<Q>;
	headers: Parsed<H>;
	/**
	 * Reads and validates the JSON body (400, 413, 415 on failure). Lazy on purpose: a handler
	 * scoped to a contract first answers 404 to a stranger, who must not learn from a 400 that
	 * the contract exists.
	 */
	body: B extends z.ZodType ? () => Promise<z.output<B>> : never;
	services: Services;
}

export interface EndpointSpec<
	P extends string = never,
	Q extends QuerySchema | undefined = undefined,
	H extends QuerySchema | undefined = undefined,
	B extends z.ZodType | undefined = undefined,
	A extends boolean = true
> {
	method: Method;
	/** The OpenAPI path: `/api/contracts/{id}/messages` for the route `api/contracts/[id]/messages`. */
	path: `/api/${string}`;
	summary: string;
	/** A signed-in user is required (401 otherwise) unless this is false. */
	auth?: A;
	/**
	 * What an API token (`Authorization: Bearer parley_pat_...`) needs to call this: a scope, or
	 * 'session', the default, for endpoints only the session cookie may use (403 to any token).
	 */
	scope?: Access;
	params?: Record<P, PathParam>;
	/** Validated before the handler runs (400); field `.meta({ description })` documents it. */
	query?: Q;
	/** Request headers by name, validated before the handler runs (400 unless the schema `.catch`es). */
	headers?: H;
	/** The JSON body's schema; the handler reads it with `ctx.body()`. */
	body?: B;
	/**
	 * A multipart/form-data body with one file in the field `file`, which the handler streams
	 * itself (JSON endpoints use `body`).
	 */
	multipartFile?: { description: string };
	/** The success responses by status. */
	responses: Record<number, ResponseSpec>;
	/**
	 * Error statuses the handler itself answers. Those the declaration implies are added: 401 with
	 * auth, 404 with path params, 400 with query or headers, 400, 413 and 415 with a body.
	 */
	errors?: number[];
	handler(ctx: EndpointContext<P, Q, H, B, A>): Promise<Response>;
}

/** The declaration as the OpenAPI builder and the route test read it. */
export interface EndpointDeclaration {
	method: Method;
	path: string;
	summary: string;
	auth: boolean;
	/** The token scope it needs ('session': no token); null for a public endpoint. */
	scope: Access | null;
	params: Record<string, PathParam>;
	query?: QuerySchema;
	headers?: QuerySchema;
	body?: z.ZodType;
	multipartFile?: { description: string };
	responses: Record<number, ResponseSpec>;
	/** Every error status: the declared ones and those the declaration implies. */
	errors: number[];
}

/** A declared endpoint: call it with a database and an event (as tests do), or `serve` it. */
export interface Endpoint {
	(db: Db, event: ApiEvent, services?: Services): Promise<Response>;
	readonly declaration: EndpointDeclaration;
}

export function endpoint<
	P extends string = never,
	Q extends QuerySchema | undefined = undefined,
	H extends QuerySchema | undefined = undefined,
	B extends z.ZodType | undefined = undefined,
	A extends boolean = true
>(spec: EndpointSpec<P, Q, H, B, A>): Endpoint {
	const { handler, ...rest } = spec;
	const declaration: EndpointDeclaration = {
		...rest,
		auth: spec.auth !== false,
		scope: spec.auth === false ? null : (spec.scope ?? 'session'),
		params: (spec.params ?? {}) as Record<string, PathParam>,
		errors: []
	};
	declaration.errors = impliedErrors(declaration, spec.errors ?? []);
	const inPath = [...spec.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).join();
	if (inPath !== Object.keys(declaration.params).join()) {
		throw new Error(`${spec.method} ${spec.path}: declare the path parameters ${inPath}`);
	}

	const run = (db: Db, event: ApiEvent, services = appServices) =>
		handleApi(async () => {
			// The order matters: 401, 403 for a token without the scope, then 404 for an id that
			// cannot exist, then the input.
			const { user, token } = declaration.scope
				? await authenticateCaller(db, event.request, event.locals, declaration.scope)
				: { user: event.locals.user, token: null };
			const params: Record<string, string> = {};
			for (const [name, param] of Object.entries(declaration.params)) {
				params[name] = uuidParam(event.params[name], param.notFound);
			}
			const query = spec.query ? readQuery(event.url, spec.query) : undefined;
			const headers = spec.headers ? readHeaders(event.request.headers, spec.headers) : undefined;
			let body: Promise<unknown> | undefined;
			const ctx = {
				db,
				event,
				user,
				token,
				params,
				query,
				headers,
				body: () => (body ??= readJsonBody(event.request, spec.body!)),
				services
			} as unknown as EndpointContext<P, Q, H, B, A>;
			return handler(ctx);
		});
	return Object.assign(run, { declaration });
}

/** The route's request handler: `export const POST = serve(postMessage);` in its `+server.ts`. */
export function serve(api: Endpoint): RequestHandler & { endpoint: Endpoint } {
	const handler: RequestHandler = (event) => api(getDb(), event);
	return Object.assign(handler, { endpoint: api });
}

function impliedErrors(declaration: EndpointDeclaration, declared: number[]): number[] {
	const codes = new Set(declared);
	// 403 insufficient_scope: a token without the scope (or any token, for 'session').
	if (declaration.auth) [401, 403].forEach((code) => codes.add(code));
	if (Object.keys(declaration.params).length > 0) codes.add(404);
	if (declaration.query) codes.add(400);
	// A header whose schema ends in .catch() never fails: a bad value is ignored, not refused.
	const headers = Object.values(declaration.headers?.shape ?? {});
	if (headers.some((schema) => schema.def.type !== 'catch')) codes.add(400);
	if (declaration.body) [400, 413, 415].forEach((code) => codes.add(code));
	return [...codes].sort((a, b) => a - b);
}
