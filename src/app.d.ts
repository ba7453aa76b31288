import type { SessionUser } from '$lib/server/auth';

declare global {
	namespace App {
		interface Error {
			message: string;
			requestId?: string;
		}
		interface Locals {
			user: SessionUser | null;
			sessionId: string | null;
			requestId: string;
		}
	}
}

export {};
