import { getDb } from '$lib/server/db';
import { createContract, listContracts } from '$lib/server/http/contracts-api';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = (event) => listContracts(getDb(), event);
export const POST: RequestHandler = (event) => createContract(getDb(), event);
