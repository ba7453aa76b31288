import { randomUUID } from 'node:crypto';
import type { EmailQueueRow } from '../db/schema';

/**
 * A reply to an outbox email as a mail client writes it (From the recipient, To the Reply-To
 * address, threaded on the Message-ID, the original quoted under "On ... wrote:"), for the dev
 * outbox's Reply box and the e2e test.
 */
export function devReplyEmail(
	email: Pick<EmailQueueRow, 'toAddress' | 'subject' | 'text' | 'headers'>,
	reply: string
): string {
	const quoted = email.text
		.split('\n')
		.map((line) => (line ? `> ${line}` : '>'))
		.join('\r\n');
	const original = email.headers['Message-ID'];
	const date = new Date();
	const subject = `Re: ${email.subject}`.replace(/[\r\n]+/g, ' ');
	const body = Buffer.from(
		`${reply.replace(/\r?\n/g, '\r\n')}\r\n\r\nOn ${date.toUTCString()}, Parley wrote:\r\n${quoted}\r\n`,
		'utf8'
	).toString('base64');
	return [
		`From: <${email.toAddress}>`,
		`To: <${email.headers['Reply-To']}>`,
		`Subject: =?UTF-8?B?${Buffer.from(subject).toString('base64')}?=`,
		`Date: ${date.toUTCString()}`,
		`Message-ID: <dev-reply-${randomUUID()}@parley.localhost>`,
		...(original ? [`In-Reply-To: ${original}`, `References: ${original}`] : []),
		'MIME-Version: 1.0',
		'Content-Type: text/plain; charset=utf-8',
		'Content-Transfer-Encoding: base64',
		'',
		body.replace(/.{76}/g, '$&\r\n'),
		''
	].join('\r\n');
}
