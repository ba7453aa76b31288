import { postAttachment } from '$lib/server/http/attachments-api';
import { serve } from '$lib/server/http/endpoint';

export const POST = serve(postAttachment);
