import { getThread, patchThread } from '$lib/server/http/messaging-api';
import { serve } from '$lib/server/http/endpoint';

export const GET = serve(getThread);
export const PATCH = serve(patchThread);
