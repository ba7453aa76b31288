import { deleteAssistantDraft, postDraft } from '$lib/server/http/assistant-api';
import { serve } from '$lib/server/http/endpoint';

export const POST = serve(postDraft);
export const DELETE = serve(deleteAssistantDraft);
