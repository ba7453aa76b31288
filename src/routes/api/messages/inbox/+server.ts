import { getInbox } from '$lib/server/http/messaging-api';
import { serve } from '$lib/server/http/endpoint';

export const GET = serve(getInbox);
