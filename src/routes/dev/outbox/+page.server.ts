import { error, fail } from '@sveltejs/kit';
import { desc, eq } from 'drizzle-orm';
import { dev } from '$app/environment';
import { getConfig } from '$lib/server/config';
import { getDb } from '$lib/server/db';
import { emailQueue } from '$lib/server/db/schema';
import { devReplyEmail } from '$lib/server/email/dev-reply';
import type { Actions, PageServerLoad } from './$types';

// Development only: what would have been emailed, since without RESEND_API_KEY nothing is sent.
export const load: PageServerLoad = async () => {
	if (!dev) error(404, 'Not found');
	const emails = await getDb()
		.select()
		.from(emailQueue)
		.orderBy(desc(emailQueue.createdAt))
		.limit(50);
	return {
		emails: emails.map((e) => ({ ...e, replyTo: e.headers['Reply-To'] ?? null })),
		canReply: Boolean(getConfig().inbound.secret && getConfig().email.inboundDomain)
	};
};

export const actions: Actions = {
	// Answers an email as its recipient would from a mail client: a raw reply through the MIME door.
	reply: async ({ request, fetch }) => {
		if (!dev) error(404, 'Not found');
		const form = await request.formData();
		const emailId = String(form.get('emailId') ?? '');
		const text = String(form.get('text') ?? '');
		if (!text.trim()) return fail(400, { emailId, text, error: 'Write a reply first.' });
		const [email] = /^[0-9a-f-]{36}$/.test(emailId)
			? await getDb().select().from(emailQueue).where(eq(emailQueue.id, emailId))
			: [];
		if (!email?.headers['Reply-To']) {
			return fail(404, { emailId, text, error: 'That email has no reply address.' });
		}
		const secret = getConfig().inbound.secret;
		if (!secret) return fail(503, { emailId, text, error: 'INBOUND_SECRET is not set.' });
		const response = await fetch('/api/inbound/mime', {
			method: 'POST',
			headers: { authorization: `Bearer ${secret}`, 'content-type': 'message/rfc822' },
			body: devReplyEmail(email, text)
		});
		const result = (await response.json().catch(() => ({}))) as {
			outcome?: string;
			reason?: string;
		};
		if (!response.ok) {
			return fail(502, { emailId, text, error: `The MIME door answered ${response.status}.` });
		}
		return { emailId, outcome: result.outcome ?? 'unknown', reason: result.reason ?? null };
	}
};
