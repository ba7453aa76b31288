import { getOfferingAssistants } from '$lib/server/http/assistant-api';
import { serve } from '$lib/server/http/endpoint';

export const GET = serve(getOfferingAssistants);
