import { getDb } from '$lib/server/db';
import { handleMcpRequest } from '$lib/server/mcp/handler';
import type { RequestHandler } from './$types';

// The MCP server (src/lib/server/mcp): not a declared JSON endpoint, since JSON-RPC has its own
// envelope; it authenticates with the same API tokens and scopes.
const handle: RequestHandler = ({ request }) => handleMcpRequest(getDb(), request);

export const POST = handle;
export const GET = handle;
export const DELETE = handle;
