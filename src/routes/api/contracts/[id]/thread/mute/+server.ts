import { muteThread, unmuteThread } from '$lib/server/http/messaging-api';
import { serve } from '$lib/server/http/endpoint';

export const PUT = serve(muteThread);
export const DELETE = serve(unmuteThread);
