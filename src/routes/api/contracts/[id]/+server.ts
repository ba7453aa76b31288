import { getDb } from '$lib/server/db';
import { changeContractStatus, getContract } from '$lib/server/http/contracts-api';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = (event) => getContract(getDb(), event);
export const PATCH: RequestHandler = (event) => changeContractStatus(getDb(), event);
