import { z } from 'zod';
import { errorSchema } from '$lib/schemas/messaging';
import type { EndpointDeclaration } from './endpoint';
import { ENDPOINTS } from './endpoints';
import { MAX_JSON_BYTES } from './api';

// The OpenAPI document is built from the endpoint declarations and the zod schemas the endpoints
// validate with: there is no second, hand-kept description of the API to fall out of date.

type JsonSchema = Record<string, unknown>;

const COMPONENTS = '#/components/schemas/';

/** A `$ref` for a schema with `.meta({ id })`, else the schema inline (its named parts as `$ref`s). */
function schemaJson(schema: z.ZodType): JsonSchema {
	const id = z.globalRegistry.get(schema)?.id;
	if (id) return { $ref: `${COMPONENTS}${id}` };
	const {
		$schema: _s,
		$defs: _d,
		...inline
	} = z.toJSONSchema(schema, {
		io: 'input',
		unrepresentable: 'any',
		target: 'draft-2020-12'
	}) as JsonSchema;
	// Named schemas nested inside are components already.
	return JSON.parse(JSON.stringify(inline).replaceAll('"#/$defs/', `"${COMPONENTS}`));
}

const ERROR_TEXT: Record<number, string> = {
	400: 'Invalid input; the message says what is wrong',
	401: 'No session or API token, or the token is unknown, revoked or expired',
	403: 'Not allowed for this party; or insufficient_scope: the API token lacks the scope (details.requiredScope)',
	404: 'Not found, or not yours',
	409: 'Conflict with the current state',
	413: `Body over ${MAX_JSON_BYTES / 1024} KB`,
	415: 'Body is not application/json',
	422: 'Refused as sent; the message says why',
	429: 'Too many requests; details.retryAfterSeconds says when to try again'
};

/** Query or header parameters from the fields of a zod object; `.meta({ description })` carries over. */
function parameters(location: 'query' | 'header', schema: z.ZodObject | undefined) {
	return Object.entries(schema?.shape ?? {}).map(([name, field]) => {
		const json = schemaJson(field);
		const { description } = json;
		return {
			name,
			in: location,
			// Optional fields and those with a default accept a missing value.
			required: !field.safeParse(undefined).success,
			...(typeof description === 'string' ? { description } : {}),
			schema: json
		};
	});
}

function operation(endpoint: EndpointDeclaration) {
	const pathParameters = Object.entries(endpoint.params).map(([name, param]) => ({
		name,
		in: 'path',
		required: true,
		description: param.description,
		schema: { type: 'string', format: 'uuid' }
	}));
	const allParameters = [
		...pathParameters,
		...parameters('query', endpoint.query),
		...parameters('header', endpoint.headers)
	];
	const responses: Record<string, unknown> = {};
	for (const [status, response] of Object.entries(endpoint.responses)) {
		const type = response.contentType ?? 'application/json';
		responses[status] = {
			description: response.description,
			...(response.schema
				? { content: { [type]: { schema: schemaJson(response.schema) } } }
				: response.contentType
					? { content: { [type]: {} } }
					: {})
		};
	}
	for (const status of endpoint.errors) {
		responses[String(status)] = {
			description: ERROR_TEXT[status] ?? 'Error',
			content: { 'application/json': { schema: schemaJson(errorSchema) } }
		};
	}
	return {
		summary: endpoint.summary,
		...(allParameters.length > 0 ? { parameters: allParameters } : {}),
		...(endpoint.body
			? {
					requestBody: {
						required: true,
						content: { 'application/json': { schema: schemaJson(endpoint.body) } }
					}
				}
			: {}),
		...(endpoint.multipartFile
			? {
					requestBody: {
						required: true,
						content: {
							'multipart/form-data': {
								schema: {
									type: 'object',
									required: ['file'],
									properties: {
										file: {
											type: 'string',
											format: 'binary',
											description: endpoint.multipartFile.description
										}
									}
								}
							}
						}
					}
				}
			: {}),
		responses,
		// The session cookie opens every endpoint that needs a user; an API token only those that
		// name a scope, with that scope. A public endpoint needs nothing.
		security: !endpoint.scope
			? []
			: endpoint.scope === 'session'
				? [{ session: [] }]
				: [{ session: [] }, { bearer: [endpoint.scope] }]
	};
}

export function buildOpenApiDocument(
	serverUrl: string,
	endpoints: readonly EndpointDeclaration[] = ENDPOINTS.map((e) => e.declaration)
) {
	// Every schema given an id with .meta({ id }) becomes a component; nested ones become $refs.
	const components = z.toJSONSchema(z.globalRegistry, {
		io: 'input',
		unrepresentable: 'any',
		target: 'draft-2020-12',
		uri: (id) => `${COMPONENTS}${id}`
	});

	const paths: Record<string, Record<string, ReturnType<typeof operation>>> = {};
	for (const endpoint of endpoints) {
		const item = (paths[endpoint.path] ??= {});
		const method = endpoint.method.toLowerCase();
		if (item[method]) throw new Error(`${endpoint.method} ${endpoint.path} is declared twice`);
		item[method] = operation(endpoint);
	}

	return {
		openapi: '3.1.0',
		info: {
			title: 'Parley API',
			version: '1.0.0',
			description:
				'Contract-scoped messaging. Authenticate with the session cookie set by /login, or with ' +
				'an API token (Authorization: Bearer parley_pat_..., created in /dashboard/settings) ' +
				'on the operations whose security names its scope: messages:read, messages:write, ' +
				'contracts:read. A token outside its scopes gets 403 insufficient_scope; an unknown, ' +
				'revoked or expired one 401. Tokens never manage the account. ' +
				'JSON in camelCase, timestamps in ISO-8601 UTC, errors as { error: { code, message } }.'
		},
		servers: [{ url: serverUrl }],
		components: {
			schemas: Object.fromEntries(
				Object.entries(components.schemas).map(([id, schema]) => {
					// Components live inside the document: they need neither $schema nor an $id of their own.
					const { $schema: _s, $id: _i, ...rest } = schema as Record<string, unknown>;
					return [id, rest];
				})
			),
			securitySchemes: {
				session: { type: 'apiKey', in: 'cookie', name: 'parley_session' },
				bearer: {
					type: 'http',
					scheme: 'bearer',
					bearerFormat: 'parley_pat_<52 base32 characters>',
					description:
						'An API token from /dashboard/settings. Scopes: messages:read (inbox, conversations, unread count, search, live stream), messages:write (send, mark read or unread, edit, delete, typing), contracts:read. An agent token posts as the assistant acting for its user.'
				}
			}
		},
		security: [{ session: [] }],
		paths
	};
}
