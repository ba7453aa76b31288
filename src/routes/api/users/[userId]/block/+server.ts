import { deleteBlock, putBlock } from '$lib/server/http/moderation-api';
import { serve } from '$lib/server/http/endpoint';

export const PUT = serve(putBlock);
export const DELETE = serve(deleteBlock);
