import { getAttachment } from '$lib/server/http/attachments-api';
import { serve } from '$lib/server/http/endpoint';

export const GET = serve(getAttachment);
