import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from './openapi';

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
				'/api/providers/{userId}/response-metrics'
			])
		);
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
		for (const r of refs) expect(schemas).toHaveProperty(r.split('/').pop()!);
	});

	it('documents the query limits', () => {
		const get = doc.paths['/api/contracts/{id}/messages'].get;
		const limit = get.parameters.find((p) => p.name === 'limit');
		expect(limit?.schema).toMatchObject({ maximum: 100, minimum: 1, default: 50 });
	});
});
