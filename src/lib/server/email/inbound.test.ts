import { describe, expect, it } from 'vitest';
import { dedupeKey, refusedNote, parseRawEmail, type InboundEmail } from './inbound';
import { tokenFromAddress } from './reply-tokens';

const base: InboundEmail = {
	messageId: '<Abc@Mail.Test>',
	from: 'paul@example.test',
	recipients: [],
	subject: 'Re: hi',
	headers: {},
	text: 'Yes',
	html: null,
	attachments: []
};

describe('dedupeKey', () => {
	it('is the Message-ID whatever its brackets or letter case', () => {
		expect(dedupeKey(base)).toBe(dedupeKey({ ...base, messageId: 'abc@mail.test' }));
		expect(dedupeKey(base)).toMatch(/^email:[0-9a-f]{48}$/);
	});

	it('falls back to the content without a Message-ID', () => {
		const a = dedupeKey({ ...base, messageId: null });
		expect(a).toBe(dedupeKey({ ...base, messageId: null }));
		expect(a).not.toBe(dedupeKey({ ...base, messageId: null, text: 'No' }));
	});
});

describe('refusedNote', () => {
	it('names each file left out and why, in one short line', () => {
		expect(
			refusedNote([
				{ filename: 'big.zip', why: 'is over 25 MB' },
				{ filename: 'run.exe', why: 'is not an allowed type' }
			])
		).toBe('(2 attachments were not added: big.zip is over 25 MB; run.exe is not an allowed type)');
		expect(refusedNote([{ filename: 'a.bin', why: 'is empty' }])).toBe(
			'(1 attachment was not added: a.bin is empty)'
		);
		expect(refusedNote([])).toBeNull();
	});
});

describe('tokenFromAddress', () => {
	it('reads reply+TOKEN@ the inbound domain only, in any letter case', () => {
		const token = 'abcdefghijklmnopqrstuvwxyz23';
		expect(
			tokenFromAddress(`Reply+${token.toUpperCase()}@Reply.Example.com`, 'reply.example.com')
		).toBe(token);
		expect(tokenFromAddress(`reply+${token}@evil.example`, 'reply.example.com')).toBeNull();
		expect(tokenFromAddress('reply+short@reply.example.com', 'reply.example.com')).toBeNull();
	});
});

describe('parseRawEmail', () => {
	it('collects To, Cc, Delivered-To and the envelope, and marks related parts inline', async () => {
		const raw = [
			'From: "Paul" <Paul@Example.test>',
			'To: Parley <reply+aaaa@r.test>',
			'Cc: other@r.test',
			'Delivered-To: reply+bbbb@r.test',
			'Subject: Re: hi',
			'Message-ID: <m1@example.test>',
			'Auto-Submitted: no',
			'MIME-Version: 1.0',
			'Content-Type: multipart/related; boundary="x"',
			'',
			'--x',
			'Content-Type: text/html; charset=utf-8',
			'',
			'<p>Hello <img src="cid:logo"></p>',
			'--x',
			'Content-Type: image/png',
			'Content-ID: <logo>',
			'Content-Disposition: inline; filename="logo.png"',
			'Content-Transfer-Encoding: base64',
			'',
			'iVBORw0KGgo=',
			'--x--',
			''
		].join('\r\n');
		const email = await parseRawEmail(new TextEncoder().encode(raw), {
			from: '<paul@example.test>',
			to: ['reply+cccc@r.test']
		});
		expect(email).toMatchObject({
			messageId: '<m1@example.test>',
			from: 'Paul@Example.test',
			envelopeFrom: 'paul@example.test',
			recipients: ['reply+aaaa@r.test', 'other@r.test', 'reply+bbbb@r.test', 'reply+cccc@r.test'],
			headers: { 'auto-submitted': 'no' },
			attachments: [{ filename: 'logo.png', inline: true, size: 8 }]
		});
		expect(await email.attachments[0]!.load(1024)).toHaveLength(8);
		expect(await email.attachments[0]!.load(4)).toBeNull();
	});
});
