import { z } from 'zod';
import { contractStatusChangeSchema, rentSchema } from '$lib/schemas/contracts';
import {
	errorSchema,
	inboxPageSchema,
	inboxQuerySchema,
	markedSchema,
	messagePageSchema,
	messageSchema,
	messagesQuerySchema,
	metricsQuerySchema,
	responseMetricsSchema,
	sendMessageSchema,
	threadSchema,
	threadStatusChangeSchema,
	unreadCountSchema
} from '$lib/schemas/messaging';

// The OpenAPI document is built from the zod schemas the endpoints validate with: there is no
// second, hand-kept description of the API to fall out of date.

type ZodObjectSchema = z.ZodObject<z.ZodRawShape>;

const ref = (schema: z.ZodType) => {
	const id = z.globalRegistry.get(schema)?.id;
	if (!id) throw new Error('schema has no id for the OpenAPI components');
	return { $ref: `#/components/schemas/${id}` };
};

const jsonBody = (schema: z.ZodType) => ({
	required: true,
	content: { 'application/json': { schema: ref(schema) } }
});

const ok = (description: string, schema?: z.ZodType) => ({
	description,
	...(schema ? { content: { 'application/json': { schema: ref(schema) } } } : {})
});

const errors = (...codes: number[]) =>
	Object.fromEntries(
		codes.map((code) => [
			String(code),
			{
				description: ERROR_TEXT[code] ?? 'Error',
				content: { 'application/json': { schema: ref(errorSchema) } }
			}
		])
	);

const ERROR_TEXT: Record<number, string> = {
	400: 'Invalid input; the message says what is wrong',
	401: 'No session',
	403: 'Not allowed for this party',
	404: 'Not found, or not yours',
	409: 'Conflict with the current state',
	413: 'Body over 64 KB',
	415: 'Body is not application/json'
};

function queryParameters(schema: ZodObjectSchema) {
	return Object.entries(schema.shape).map(([name, field]) => ({
		name,
		in: 'query',
		required: false,
		schema: z.toJSONSchema(field as z.ZodType, { io: 'input', unrepresentable: 'any' })
	}));
}

const pathId = (name: string, description: string) => ({
	name,
	in: 'path',
	required: true,
	description,
	schema: { type: 'string', format: 'uuid' }
});

const contractId = pathId('id', 'Contract id');

export function buildOpenApiDocument(serverUrl: string) {
	// Every schema given an id with .meta({ id }) becomes a component; nested ones become $refs.
	const components = z.toJSONSchema(z.globalRegistry, {
		io: 'input',
		unrepresentable: 'any',
		target: 'draft-2020-12',
		uri: (id) => `#/components/schemas/${id}`
	});

	return {
		openapi: '3.1.0',
		info: {
			title: 'Parley API',
			version: '1.0.0',
			description:
				'Contract-scoped messaging. Authenticate with the session cookie set by /login. ' +
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
				session: { type: 'apiKey', in: 'cookie', name: 'parley_session' }
			}
		},
		security: [{ session: [] }],
		paths: {
			'/api/contracts/{id}/messages': {
				parameters: [contractId],
				get: {
					summary: 'A page of the contract’s conversation, oldest first',
					parameters: queryParameters(messagesQuerySchema),
					responses: { '200': ok('The page', messagePageSchema), ...errors(400, 401, 404) }
				},
				post: {
					summary: 'Send a message in the contract’s thread (created on the first message)',
					requestBody: jsonBody(sendMessageSchema),
					responses: {
						'201': ok('The stored message', messageSchema),
						...errors(400, 401, 404, 409, 413, 415)
					}
				}
			},
			'/api/contracts/{id}/thread': {
				parameters: [contractId],
				get: {
					summary: 'The contract’s thread; 404 while it has no message',
					responses: { '200': ok('The thread', threadSchema), ...errors(401, 404) }
				},
				patch: {
					summary: 'Mark the thread resolved, or open again',
					requestBody: jsonBody(threadStatusChangeSchema),
					responses: {
						'200': ok('The thread', threadSchema),
						...errors(400, 401, 404, 409, 413, 415)
					}
				}
			},
			'/api/contracts/{id}/thread/read': {
				parameters: [contractId],
				put: {
					summary: 'Mark every message of the thread read',
					responses: { '200': ok('How many were newly marked', markedSchema), ...errors(401, 404) }
				}
			},
			'/api/messages/{id}/read': {
				parameters: [pathId('id', 'Message id')],
				put: {
					summary: 'Mark this message and every earlier one of its thread read',
					responses: { '204': ok('Marked (idempotent)'), ...errors(401, 404) }
				}
			},
			'/api/messages/unread-count': {
				get: {
					summary: 'My total unread messages',
					responses: { '200': ok('The count', unreadCountSchema), ...errors(401) }
				}
			},
			'/api/messages/stream': {
				get: {
					summary:
						'Server-Sent Events for me: message.created, message.read, unread.changed, thread.updated, typing, resync',
					parameters: [
						{
							name: 'Last-Event-ID',
							in: 'header',
							required: false,
							description:
								'The id of the last event received: the stream replays what came after it.',
							schema: { type: 'string' }
						}
					],
					responses: {
						'200': { description: 'The stream', content: { 'text/event-stream': {} } },
						...errors(401)
					}
				}
			},
			'/api/contracts/{id}/typing': {
				parameters: [contractId],
				post: {
					summary: 'Tell the other party I am typing (not stored)',
					responses: { '204': ok('Sent'), ...errors(401, 404) }
				}
			},
			'/api/messages/inbox': {
				get: {
					summary: 'Threads I am in, most recent activity first',
					parameters: queryParameters(inboxQuerySchema),
					responses: { '200': ok('The page', inboxPageSchema), ...errors(400, 401) }
				}
			},
			'/api/providers/{userId}/response-metrics': {
				parameters: [pathId('userId', 'Provider’s user id')],
				get: {
					summary: 'How quickly and how often a provider answers renters',
					parameters: queryParameters(metricsQuerySchema),
					responses: {
						'200': ok('The metrics', responseMetricsSchema),
						...errors(400, 401, 404)
					}
				}
			},
			'/api/contracts': {
				get: {
					summary: 'Contracts where I rent or provide',
					responses: { '200': { description: 'The contracts' }, ...errors(401) }
				},
				post: {
					summary: 'Rent an offering: a contract in status requested',
					requestBody: {
						required: true,
						content: {
							'application/json': { schema: z.toJSONSchema(rentSchema, { io: 'input' }) }
						}
					},
					responses: {
						'201': { description: 'The contract' },
						...errors(400, 401, 404, 409, 413, 415)
					}
				}
			},
			'/api/contracts/{id}': {
				parameters: [contractId],
				get: {
					summary: 'One contract, with the actions open to me',
					responses: { '200': { description: 'The contract' }, ...errors(401, 404) }
				},
				patch: {
					summary: 'Change the contract’s status (accept, reject, cancel, complete)',
					requestBody: {
						required: true,
						content: {
							'application/json': {
								schema: z.toJSONSchema(contractStatusChangeSchema, { io: 'input' })
							}
						}
					},
					responses: {
						'200': { description: 'The contract' },
						...errors(400, 401, 403, 404, 409, 413, 415)
					}
				}
			}
		}
	};
}
