import { createContract, listContracts } from '$lib/server/http/contracts-api';
import { serve } from '$lib/server/http/endpoint';

export const GET = serve(listContracts);
export const POST = serve(createContract);
