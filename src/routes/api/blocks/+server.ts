import { getBlocks } from '$lib/server/http/moderation-api';
import { serve } from '$lib/server/http/endpoint';

export const GET = serve(getBlocks);
