import { redirect } from '@sveltejs/kit';
import type { SessionUser } from './auth';

/** For pages and form actions: the signed-in user, or a redirect to /login that comes back here. */
export function requireUser(locals: App.Locals, url: URL): SessionUser {
	if (!locals.user) {
		redirect(303, `/login?redirectTo=${encodeURIComponent(url.pathname + url.search)}`);
	}
	return locals.user;
}
