import { changeContractStatus, getContract } from '$lib/server/http/contracts-api';
import { serve } from '$lib/server/http/endpoint';

export const GET = serve(getContract);
export const PATCH = serve(changeContractStatus);
