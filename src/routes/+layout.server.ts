import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = ({ locals }) => {
	return {
		user: locals.user ? { id: locals.user.id, displayName: locals.user.displayName } : null
	};
};
