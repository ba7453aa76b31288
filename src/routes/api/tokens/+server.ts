import { serve } from '$lib/server/http/endpoint';
import { getTokens, postToken } from '$lib/server/http/tokens-api';

export const GET = serve(getTokens);
export const POST = serve(postToken);
