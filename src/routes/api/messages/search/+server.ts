import { getSearch } from '$lib/server/http/search-api';
import { serve } from '$lib/server/http/endpoint';

export const GET = serve(getSearch);
