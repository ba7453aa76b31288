// Email bodies. Everything a user wrote is escaped for HTML and stripped of line breaks where it
// lands in a header, so a name or message can never inject markup or headers.

const PREVIEW_LENGTH = 200;
const MAX_LISTED = 5;

export function escapeHtml(text: string): string {
	return text
		.replace(/&/g, '&amp;')
		.replace(/</g, '&lt;')
		.replace(/>/g, '&gt;')
		.replace(/"/g, '&quot;')
		.replace(/'/g, '&#39;');
}

/** For subjects and names in headers: no CR, LF or other control characters. */
export function headerSafe(text: string): string {
	// eslint-disable-next-line no-control-regex
	return text.replace(/[\u0000-\u001F\u007F]+/g, ' ').trim();
}

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** The first `max` characters as a reader sees them: an emoji is never cut in half. */
export function preview(text: string, max = PREVIEW_LENGTH): string {
	let out = '';
	let count = 0;
	for (const { segment } of segmenter.segment(text)) {
		if (count === max) return `${out.trimEnd()}…`;
		out += segment;
		count++;
	}
	return out;
}

export interface DigestInput {
	recipientName: string;
	senderName: string;
	contractTitle: string;
	contractId: string;
	messages: { body: string; createdAt: Date }[];
	conversationUrl: string;
	settingsUrl: string;
	unsubscribeUrl: string;
	/** The email has a reply address: say that replying answers the sender. */
	canReply?: boolean;
}

export function messageDigestEmail(input: DigestInput): {
	subject: string;
	html: string;
	text: string;
} {
	const sender = headerSafe(input.senderName);
	const title = headerSafe(input.contractTitle);
	const count = input.messages.length;
	const subject =
		count === 1
			? `New message from ${sender} about "${title}"`
			: `${count} new messages from ${sender} about "${title}"`;
	const listed = input.messages.slice(0, MAX_LISTED);
	const more = count - listed.length;
	const reference = `Rental ${input.contractId.slice(0, 8)}`;

	const html = `<!doctype html>
<html lang="en"><body style="margin:0;padding:24px;background:#f6f7fb;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1b1f2a">
<div style="max-width:560px;margin:0 auto;background:#fff;border:1px solid #dde1ea;border-radius:10px;padding:24px">
<p style="margin:0 0 8px">Hi ${escapeHtml(input.recipientName)},</p>
<p style="margin:0 0 16px"><strong>${escapeHtml(sender)}</strong> wrote to you about <strong>${escapeHtml(title)}</strong> <span style="color:#5b6478">(${escapeHtml(reference)})</span>:</p>
${listed
	.map(
		(m) =>
			`<blockquote style="margin:0 0 12px;padding:8px 12px;border-left:3px solid #2f5bea;background:#f6f7fb;white-space:pre-wrap">${escapeHtml(preview(m.body))}</blockquote>`
	)
	.join('\n')}
${more > 0 ? `<p style="margin:0 0 16px;color:#5b6478">and ${more} more</p>` : ''}
${input.canReply ? `<p style="margin:0 0 16px">Reply to this email to answer ${escapeHtml(sender)}, or open the conversation.</p>` : ''}
<p style="margin:24px 0"><a href="${escapeHtml(input.conversationUrl)}" style="background:#2f5bea;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none;font-weight:600">Open the conversation</a></p>
<p style="margin:24px 0 0;font-size:12px;color:#5b6478">You get this email because a message waited unread for you on Parley. <a href="${escapeHtml(input.unsubscribeUrl)}" style="color:#5b6478">Turn off these emails</a> or change it in <a href="${escapeHtml(input.settingsUrl)}" style="color:#5b6478">your settings</a>.</p>
</div></body></html>`;

	const text = [
		`Hi ${input.recipientName},`,
		'',
		`${sender} wrote to you about "${title}" (${reference}):`,
		'',
		...listed.flatMap((m) => [
			preview(m.body)
				.split('\n')
				.map((line) => `> ${line}`)
				.join('\n'),
			''
		]),
		...(more > 0 ? [`and ${more} more`, ''] : []),
		...(input.canReply ? [`Reply to this email to answer ${sender}.`, ''] : []),
		`Open the conversation: ${input.conversationUrl}`,
		'',
		'--',
		`Turn off these emails: ${input.unsubscribeUrl}`,
		`Settings: ${input.settingsUrl}`
	].join('\n');

	return { subject, html, text };
}

export interface AssistantNoticeInput {
	recipientName: string;
	/** "handoff": it handed the conversation over; "draft": a draft is waiting; "failed": it could not answer. */
	kind: 'handoff' | 'draft' | 'failed';
	renterName: string;
	contractTitle: string;
	/** The hand-off's reason, or the draft's text. */
	detail: string;
	conversationUrl: string;
}

/** An email from the provider's assistant to the provider (sent at once, not batched). */
export function assistantNoticeEmail(input: AssistantNoticeInput): {
	subject: string;
	html: string;
	text: string;
} {
	const renter = headerSafe(input.renterName);
	const title = headerSafe(input.contractTitle);
	const subject = {
		handoff: `Your assistant handed a conversation to you: ${renter} about "${title}"`,
		draft: `A draft reply to ${renter} is waiting for you ("${title}")`,
		failed: `Your assistant could not answer ${renter} ("${title}")`
	}[input.kind];
	const lead = {
		handoff: `Your assistant handed the conversation with ${input.renterName} about “${input.contractTitle}” to you. Its reason:`,
		draft: `Your assistant prepared a reply to ${input.renterName} about “${input.contractTitle}”. It waits in your message box; nothing was sent:`,
		failed: `Your assistant could not answer ${input.renterName} about “${input.contractTitle}”; nothing was posted. Please answer yourself:`
	}[input.kind];
	const html = `<!doctype html>
<html lang="en"><body style="margin:0;padding:24px;background:#f6f7fb;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1b1f2a">
<div style="max-width:560px;margin:0 auto;background:#fff;border:1px solid #dde1ea;border-radius:10px;padding:24px">
<p style="margin:0 0 8px">Hi ${escapeHtml(input.recipientName)},</p>
<p style="margin:0 0 16px">${escapeHtml(lead)}</p>
<blockquote style="margin:0 0 12px;padding:8px 12px;border-left:3px solid #2f5bea;background:#f6f7fb;white-space:pre-wrap">${escapeHtml(preview(input.detail, 1000))}</blockquote>
<p style="margin:24px 0"><a href="${escapeHtml(input.conversationUrl)}" style="background:#2f5bea;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none;font-weight:600">Open the conversation</a></p>
</div></body></html>`;
	const text = [
		`Hi ${input.recipientName},`,
		'',
		lead,
		'',
		preview(input.detail, 1000),
		'',
		`Open the conversation: ${input.conversationUrl}`
	].join('\n');
	return { subject, html, text };
}

function accountEmailHtml(
	paragraphs: string[],
	button: { url: string; label: string },
	footer: string
): string {
	return `<!doctype html>
<html lang="en"><body style="margin:0;padding:24px;background:#f6f7fb;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1b1f2a">
<div style="max-width:560px;margin:0 auto;background:#fff;border:1px solid #dde1ea;border-radius:10px;padding:24px">
${paragraphs.map((p) => `<p style="margin:0 0 16px">${p}</p>`).join('\n')}
<p style="margin:24px 0"><a href="${escapeHtml(button.url)}" style="background:#2f5bea;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none;font-weight:600">${escapeHtml(button.label)}</a></p>
<p style="margin:24px 0 0;font-size:12px;color:#5b6478">${escapeHtml(footer)}</p>
</div></body></html>`;
}

const NOT_YOU =
	'If you did not sign up for Parley, ignore this email: nothing happens, and we send nothing else to this address unless someone confirms it.';

/** The link that proves an address belongs to the account's owner. */
export function confirmEmailEmail(input: { recipientName: string; confirmUrl: string }) {
	const name = escapeHtml(input.recipientName);
	return {
		subject: 'Confirm your email address for Parley',
		html: accountEmailHtml(
			[
				`Hi ${name},`,
				'Please confirm that this is your email address. Until you do, Parley sends you no emails about your messages.',
				'The link works once, for 24 hours.'
			],
			{ url: input.confirmUrl, label: 'Confirm my email address' },
			NOT_YOU
		),
		text: `Hi ${input.recipientName},\n\nPlease confirm that this is your email address. Until you do, Parley sends you no emails about your messages.\n\nConfirm it here (the link works once, for 24 hours):\n${input.confirmUrl}\n\n${NOT_YOU}\n`
	};
}

/** Someone signed up with an address that already has an account (sign-up does not say so). */
export function accountExistsEmail(input: { loginUrl: string }) {
	return {
		subject: 'You already have a Parley account',
		html: accountEmailHtml(
			[
				'Hello,',
				'Someone, probably you, just tried to create a Parley account with this email address. It already has an account, so no new one was linked to it.',
				'To use your account, log in with this address and your password. If you do not remember the password, there is no reset by email yet: contact the Parley team.'
			],
			{ url: input.loginUrl, label: 'Log in to Parley' },
			'If it was not you, ignore this email: your account has not changed.'
		),
		text: `Hello,\n\nSomeone, probably you, just tried to create a Parley account with this email address. It already has an account, so no new one was linked to it.\n\nTo use your account, log in with this address and your password:\n${input.loginUrl}\n\nIf you do not remember the password, there is no reset by email yet: contact the Parley team.\n\nIf it was not you, ignore this email: your account has not changed.\n`
	};
}
