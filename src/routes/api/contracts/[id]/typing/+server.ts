import { postTyping } from '$lib/server/http/messaging-api';
import { serve } from '$lib/server/http/endpoint';

export const POST = serve(postTyping);
