import { getAssistant, putAssistant } from '$lib/server/http/assistant-api';
import { serve } from '$lib/server/http/endpoint';

export const GET = serve(getAssistant);
export const PUT = serve(putAssistant);
