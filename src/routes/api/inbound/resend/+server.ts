import { getConfig } from '$lib/server/config';
import { getDb } from '$lib/server/db';
import { receiveResendWebhook } from '$lib/server/email/inbound-doors';
import type { RequestHandler } from './$types';

// Resend's email.received webhook, signed with RESEND_WEBHOOK_SECRET.
export const POST: RequestHandler = ({ request }) =>
	receiveResendWebhook(getDb(), request, getConfig());
