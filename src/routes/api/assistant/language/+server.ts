import {
	getAssistantLanguageSetting,
	putAssistantLanguageSetting
} from '$lib/server/http/assistant-api';
import { serve } from '$lib/server/http/endpoint';

export const GET = serve(getAssistantLanguageSetting);
export const PUT = serve(putAssistantLanguageSetting);
