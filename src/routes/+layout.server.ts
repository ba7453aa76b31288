import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = ({ locals }) => {
	return {
		user: locals.user
			? {
					id: locals.user.id,
					displayName: locals.user.displayName,
					// The banner that asks for confirmation names the address.
					email: locals.user.emailConfirmed ? null : locals.user.email
				}
			: null
	};
};
