import { archiveThread, unarchiveThread } from '$lib/server/http/messaging-api';
import { serve } from '$lib/server/http/endpoint';

export const PUT = serve(archiveThread);
export const DELETE = serve(unarchiveThread);
