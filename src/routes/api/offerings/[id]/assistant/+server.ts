import {
	deleteOfferingAssistantSettings,
	getOfferingAssistantSettings,
	putOfferingAssistantSettings
} from '$lib/server/http/assistant-api';
import { serve } from '$lib/server/http/endpoint';

export const GET = serve(getOfferingAssistantSettings);
export const PUT = serve(putOfferingAssistantSettings);
export const DELETE = serve(deleteOfferingAssistantSettings);
