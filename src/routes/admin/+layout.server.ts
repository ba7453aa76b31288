import { getDb } from '$lib/server/db';
import { requireOperator } from '$lib/server/guards';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = async ({ locals }) => {
	const operator = await requireOperator(getDb(), locals);
	return { operatorName: operator.displayName };
};
