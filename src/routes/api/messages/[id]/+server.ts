import { patchMessage, removeMessage } from '$lib/server/http/messaging-api';
import { serve } from '$lib/server/http/endpoint';

export const PATCH = serve(patchMessage);
export const DELETE = serve(removeMessage);
