import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { resolveApiToken } from '../api-tokens';
import type { Db } from '../db';
import { MAX_JSON_BYTES } from '../http/api';
import { bearerToken } from '../http/bearer';
import { createParleyMcpServer } from './tools';

// POST /api/mcp: the Model Context Protocol over the SDK's web-standard Streamable HTTP
// transport, stateless. Every request carries its bearer token, gets a server and a transport of
// its own and answers with plain JSON, so nothing lives between requests and any instance can
// answer any of them. There is no session to stream to or to end: GET and DELETE answer 405, as
// the transport's specification asks of a server that offers no stream.

const WWW_AUTHENTICATE =
	'Bearer realm="parley", scope="messages:read messages:write contracts:read"';

function jsonRpcError(status: number, message: string, headers: Record<string, string> = {}) {
	return new Response(
		JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }),
		{
			status,
			headers: { 'content-type': 'application/json', ...headers }
		}
	);
}

export async function handleMcpRequest(db: Db, request: Request): Promise<Response> {
	const token = bearerToken(request.headers);
	const auth = token ? await resolveApiToken(db, token) : null;
	if (!auth) {
		return jsonRpcError(
			401,
			token
				? 'The API token is unknown, revoked or expired.'
				: 'Send an API token from Parley’s settings: Authorization: Bearer parley_pat_...',
			{ 'www-authenticate': `${WWW_AUTHENTICATE}${token ? ', error="invalid_token"' : ''}` }
		);
	}
	if (request.method !== 'POST') {
		return jsonRpcError(405, 'This server is stateless: send every message with POST.', {
			allow: 'POST'
		});
	}

	const server = createParleyMcpServer(db, auth);
	const transport = new WebStandardStreamableHTTPServerTransport({
		sessionIdGenerator: undefined,
		enableJsonResponse: true,
		maxRequestBodySize: MAX_JSON_BYTES
	});
	try {
		await server.connect(transport);
		return await transport.handleRequest(request, {
			authInfo: { token: auth.token.id, clientId: auth.token.name, scopes: auth.token.scopes }
		});
	} finally {
		// The JSON answer is complete by now; closing frees the per-request server at once.
		await server.close();
	}
}
