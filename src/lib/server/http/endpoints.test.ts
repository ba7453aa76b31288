import { describe, expect, it } from 'vitest';
import type { Endpoint } from './endpoint';
import { ENDPOINTS } from './endpoints';

// Routes under /api that are not part of the documented JSON API: the document itself, the
// scheduler's hook (its own CRON_SECRET), the mail servers' hooks for replies by email (their own
// secrets; the body is an email or a Resend webhook), and the MCP server, whose JSON-RPC envelope
// and tool schemas are described by the protocol (tools/list), not by OpenAPI.
const UNDECLARED = new Set([
	'/api/openapi.json',
	'/api/cron/message-notifications',
	'/api/inbound/mime',
	'/api/inbound/resend',
	'/api/mcp'
]);
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

const routeModules = import.meta.glob<Record<string, unknown>>('/src/routes/api/**/+server.ts', {
	eager: true
});

/** `/src/routes/api/contracts/[id]/+server.ts` -> `/api/contracts/{id}` */
function openApiPath(file: string): string {
	return file
		.replace(/^\/src\/routes/, '')
		.replace(/\/\+server\.ts$/, '')
		.replace(/\[(\w+)\]/g, '{$1}');
}

const served = Object.entries(routeModules).flatMap(([file, module]) =>
	METHODS.filter((method) => method in module).map((method) => ({
		path: openApiPath(file),
		method,
		endpoint: (module[method] as { endpoint?: Endpoint }).endpoint
	}))
);

describe('endpoint declarations', () => {
	it('finds the route files', () => {
		expect(served.length).toBeGreaterThan(10);
	});

	it('serve every method of every API route, with the path and method of that route', () => {
		for (const route of served.filter((r) => !UNDECLARED.has(r.path))) {
			const name = `${route.method} ${route.path}`;
			expect(route.endpoint, `${name} is served with serve(<declared endpoint>)`).toBeDefined();
			expect(ENDPOINTS, `${name} is listed in endpoints.ts`).toContain(route.endpoint);
			expect(route.endpoint!.declaration, name).toMatchObject({
				path: route.path,
				method: route.method
			});
		}
	});

	it('each have a route that serves them', () => {
		for (const endpoint of ENDPOINTS) {
			const { method, path } = endpoint.declaration;
			const route = served.find((r) => r.endpoint === endpoint);
			expect(route, `${method} ${path} has a +server.ts exporting ${method}`).toBeDefined();
		}
	});

	it('are each declared once', () => {
		const keys = ENDPOINTS.map((e) => `${e.declaration.method} ${e.declaration.path}`);
		expect(new Set(keys).size).toBe(keys.length);
	});
});
