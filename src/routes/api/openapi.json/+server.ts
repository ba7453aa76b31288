import { json } from '@sveltejs/kit';
import { buildOpenApiDocument } from '$lib/server/http/openapi';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = ({ url }) => json(buildOpenApiDocument(url.origin));
