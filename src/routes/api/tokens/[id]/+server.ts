import { serve } from '$lib/server/http/endpoint';
import { deleteToken } from '$lib/server/http/tokens-api';

export const DELETE = serve(deleteToken);
