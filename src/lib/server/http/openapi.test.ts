import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { endpoint } from './endpoint';
import { ENDPOINTS } from './endpoints';
import { buildOpenApiDocument } from './openapi';

interface Operation {
	summary: string;
	parameters?: { name: string; in: string; required: boolean; schema: Record<string, unknown> }[];
	requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
	responses: Record<string, { description: string; content?: Record<string, unknown> }>;
	security?: unknown[];
}

function operationOf(doc: ReturnType<typeof buildOpenApiDocument>, method: string, path: string) {
	const operation = doc.paths[path]?.[method] as Operation | undefined;
	if (!operation) throw new Error(`no ${method} ${path}`);
	return operation;
}

describe('OpenAPI document', () => {
	const doc = buildOpenApiDocument('http://localhost:5173');

	it('is OpenAPI 3.1 with every messaging endpoint', () => {
		expect(doc.openapi).toBe('3.1.0');
		expect(Object.keys(doc.paths)).toEqual(
			expect.arrayContaining([
				'/api/contracts/{id}/messages',
				'/api/contracts/{id}/thread',
				'/api/contracts/{id}/thread/read',
				'/api/messages/{id}/read',
				'/api/messages/unread-count',
				'/api/messages/inbox',
				'/api/messages/stream',
				'/api/contracts/{id}/typing',
				'/api/providers/{userId}/response-metrics',
				'/api/contracts',
				'/api/contracts/{id}'
			])
		);
	});

	it('documents the assistant: its text stream, translation query, settings and 503', () => {
		const draft = operationOf(doc, 'post', '/api/contracts/{id}/assistant/draft');
		expect(Object.keys(draft.responses['200']!.content!)).toEqual(['text/plain; charset=utf-8']);
		const translation = operationOf(doc, 'get', '/api/messages/{id}/translation');
		expect(translation.parameters?.map((p) => p.name)).toEqual(['id', 'lang', 'Accept-Language']);
		expect(translation.parameters?.find((p) => p.name === 'lang')?.required).toBeFalsy();
		expect(
			operationOf(doc, 'post', '/api/contracts/{id}/assistant/summary').responses
		).toHaveProperty('200');
		const put = operationOf(doc, 'put', '/api/assistant');
		expect(put.requestBody?.content['application/json']?.schema).toEqual({
			$ref: '#/components/schemas/AssistantSettings'
		});
		const offering = operationOf(doc, 'put', '/api/offerings/{id}/assistant');
		expect(offering.requestBody?.content['application/json']?.schema).toEqual({
			$ref: '#/components/schemas/OfferingAssistantInput'
		});
		expect(JSON.stringify(offering.responses['200'])).toContain(
			'"$ref":"#/components/schemas/OfferingAssistant"'
		);
		for (const [method, path] of [
			['post', '/api/contracts/{id}/assistant/draft'],
			['get', '/api/messages/{id}/translation'],
			['post', '/api/contracts/{id}/assistant/summary'],
			['get', '/api/assistant'],
			['put', '/api/assistant'],
			['get', '/api/assistant/offerings'],
			['get', '/api/offerings/{id}/assistant'],
			['put', '/api/offerings/{id}/assistant'],
			['delete', '/api/offerings/{id}/assistant'],
			['get', '/api/assistant/language'],
			['put', '/api/assistant/language']
		] as const) {
			expect(operationOf(doc, method, path).responses).toHaveProperty('503');
		}
	});

	it('has one operation per declared endpoint, and nothing else', () => {
		const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
			Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`)
		);
		const declared = ENDPOINTS.map((e) => `${e.declaration.method} ${e.declaration.path}`);
		expect(operations.sort()).toEqual(declared.sort());
	});

	it('takes its component schemas from the zod schemas', () => {
		const schemas = doc.components.schemas as Record<
			string,
			{ properties?: Record<string, unknown> }
		>;
		expect(Object.keys(schemas)).toEqual(
			expect.arrayContaining([
				'Message',
				'Thread',
				'SendMessage',
				'ProviderResponseMetrics',
				'Error'
			])
		);
		expect(Object.keys(schemas.Message!.properties!)).toEqual(
			expect.arrayContaining(['senderRole', 'isRead', 'readByCounterpartAt'])
		);
		// Every $ref points at a component that exists.
		const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[A-Za-z]+/g) ?? [];
		expect(refs.length).toBeGreaterThan(0);
		for (const r of refs) expect(schemas).toHaveProperty(r.split('/').pop()!);
	});

	it('documents the query limits', () => {
		const get = operationOf(doc, 'get', '/api/contracts/{id}/messages');
		const limit = get.parameters?.find((p) => p.name === 'limit');
		expect(limit).toMatchObject({ in: 'query', required: false });
		expect(limit?.schema).toMatchObject({ maximum: 100, minimum: 1, default: 50 });
	});

	it('documents the message lifecycle: edit, delete, mark unread and the AI SDK format', () => {
		const edit = operationOf(doc, 'patch', '/api/messages/{id}');
		expect(edit.requestBody?.content['application/json']?.schema).toEqual({
			$ref: '#/components/schemas/EditMessage'
		});
		expect(Object.keys(edit.responses).sort()).toEqual(
			['200', '400', '401', '403', '404', '409', '413', '415'].sort()
		);
		expect(Object.keys(operationOf(doc, 'delete', '/api/messages/{id}').responses).sort()).toEqual(
			['204', '401', '403', '404', '409'].sort()
		);
		expect(
			Object.keys(operationOf(doc, 'put', '/api/messages/{id}/unread').responses).sort()
		).toEqual(['204', '401', '403', '404'].sort());
		const schemas = doc.components.schemas as Record<
			string,
			{ properties?: Record<string, unknown> }
		>;
		expect(Object.keys(schemas.Message!.properties!)).toEqual(
			expect.arrayContaining(['editedAt', 'deletedAt'])
		);
		expect(schemas).toHaveProperty('UIMessagePage');
		const list = operationOf(doc, 'get', '/api/contracts/{id}/messages');
		expect(list.parameters).toEqual(
			expect.arrayContaining([expect.objectContaining({ name: 'format', in: 'query' })])
		);
	});

	it('documents path parameters, bodies and the statuses each declaration implies', () => {
		const post = operationOf(doc, 'post', '/api/contracts/{id}/messages');
		expect(post.parameters).toEqual([
			expect.objectContaining({
				name: 'id',
				in: 'path',
				required: true,
				description: 'Contract id'
			}),
			expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false })
		]);
		expect(post.requestBody?.content['application/json']?.schema).toEqual({
			$ref: '#/components/schemas/SendMessage'
		});
		expect(Object.keys(post.responses).sort()).toEqual(
			['200', '201', '400', '401', '403', '404', '409', '413', '415', '422', '429'].sort()
		);
		// A body schema without an id is inlined.
		const patch = operationOf(doc, 'patch', '/api/contracts/{id}');
		expect(patch.requestBody?.content['application/json']?.schema).toMatchObject({
			type: 'object',
			properties: { status: { enum: ['active', 'rejected', 'cancelled', 'completed'] } }
		});
		expect(Object.keys(patch.responses)).toEqual(
			expect.arrayContaining(['200', '400', '401', '403', '404', '409'])
		);
		expect(Object.keys(operationOf(doc, 'get', '/api/messages/unread-count').responses)).toEqual([
			'200',
			'401',
			'403'
		]);
	});

	it('documents the optional first message of a rental request', () => {
		const rent = operationOf(doc, 'post', '/api/contracts');
		const schema = rent.requestBody?.content['application/json']?.schema;
		expect(schema).toMatchObject({
			required: ['offeringId'],
			properties: { message: { type: 'string', description: expect.stringMatching(/blank/) } }
		});
	});

	it('declares the bearer scheme and the scope each operation needs of an API token', () => {
		expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
		expect(operationOf(doc, 'get', '/api/messages/unread-count').security).toEqual([
			{ session: [] },
			{ bearer: ['messages:read'] }
		]);
		expect(operationOf(doc, 'post', '/api/contracts/{id}/messages').security).toEqual([
			{ session: [] },
			{ bearer: ['messages:write'] }
		]);
		expect(operationOf(doc, 'get', '/api/contracts/{id}').security).toEqual([
			{ session: [] },
			{ bearer: ['contracts:read'] }
		]);
		// Account endpoints: the session cookie only.
		for (const [method, path] of [
			['get', '/api/tokens'],
			['post', '/api/tokens'],
			['delete', '/api/tokens/{id}'],
			['patch', '/api/contracts/{id}']
		] as const) {
			expect(operationOf(doc, method, path).security, `${method} ${path}`).toEqual([
				{ session: [] }
			]);
		}
		// Every operation that needs a user says so, one way or the other.
		for (const item of Object.values(doc.paths)) {
			for (const operation of Object.values(item)) {
				expect((operation as Operation).security).toBeDefined();
			}
		}
		const post = operationOf(doc, 'post', '/api/tokens');
		expect(post.requestBody?.content['application/json']?.schema).toEqual({
			$ref: '#/components/schemas/CreateApiToken'
		});
		expect(Object.keys(post.responses)).toEqual(
			expect.arrayContaining(['201', '401', '403', '409', '429'])
		);
	});

	it('documents the stream’s content type and its Last-Event-ID header', () => {
		const stream = operationOf(doc, 'get', '/api/messages/stream');
		expect(stream.responses['200']?.content).toEqual({ 'text/event-stream': {} });
		expect(stream.parameters).toEqual([
			expect.objectContaining({ name: 'Last-Event-ID', in: 'header', required: false })
		]);
		// A bad Last-Event-ID is ignored, not refused.
		expect(stream.responses).not.toHaveProperty('400');
	});

	it('builds any declaration: headers, public endpoints, inline responses', () => {
		const example = endpoint({
			method: 'POST',
			path: '/api/examples/{id}',
			summary: 'An example',
			auth: false,
			params: { id: { description: 'Example id', notFound: 'No such example.' } },
			headers: z.object({
				'Idempotency-Key': z.string().max(100).meta({ description: 'Retry safely.' })
			}),
			responses: { 200: { description: 'Done', schema: z.object({ ok: z.boolean() }) } },
			async handler() {
				return new Response(null, { status: 204 });
			}
		});
		const built = buildOpenApiDocument('http://x', [example.declaration]);
		const post = operationOf(built, 'post', '/api/examples/{id}');
		expect(post.security).toEqual([]);
		expect(post.parameters).toContainEqual(
			expect.objectContaining({
				name: 'Idempotency-Key',
				in: 'header',
				required: true,
				description: 'Retry safely.'
			})
		);
		expect(post.responses['200']?.content).toEqual({
			'application/json': { schema: expect.objectContaining({ type: 'object' }) }
		});
		expect(Object.keys(post.responses).sort()).toEqual(['200', '400', '404']);
	});

	it('refuses a declaration whose path parameters do not match its path', () => {
		expect(() =>
			endpoint({
				method: 'GET',
				path: '/api/examples/{id}',
				summary: 'Wrong',
				responses: { 200: { description: 'Never' } },
				async handler() {
					return new Response();
				}
			})
		).toThrow(/path parameters/);
	});
});
