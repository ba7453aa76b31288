import { getMessages, postMessage } from '$lib/server/http/messaging-api';
import { serve } from '$lib/server/http/endpoint';

export const GET = serve(getMessages);
export const POST = serve(postMessage);
