import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import PostalMime from 'postal-mime';
import { describe, expect, it } from 'vitest';
import { extractReply } from './reply-text';

// Every fixture is a raw email shaped like what its client sends (tests/fixtures/replies/README.md
// lists them); the posted text must match the expected file exactly.
const DIR = join(process.cwd(), 'tests/fixtures/replies');
const fixtures = readdirSync(DIR)
	.filter((f) => f.endsWith('.eml'))
	.map((f) => f.slice(0, -'.eml'.length))
	.sort();

describe('extractReply on the fixture corpus', () => {
	it('has at least 16 fixtures', () => {
		expect(fixtures.length).toBeGreaterThanOrEqual(16);
	});

	it.each(fixtures)('%s', async (name) => {
		const email = await PostalMime.parse(readFileSync(join(DIR, `${name}.eml`)));
		const expected = readFileSync(join(DIR, `${name}.expected.txt`), 'utf8').trim();
		expect(extractReply({ text: email.text, html: email.html, senderName: 'Paul Martin' })).toBe(
			expected
		);
	});
});

describe('extractReply', () => {
	it('keeps a message that merely mentions someone who wrote', () => {
		const text = 'On Monday Rita wrote that she would come.\nIs that still the plan?';
		expect(extractReply({ text, html: null })).toBe(text);
	});

	it('keeps a closing line that is not followed by the name', () => {
		expect(
			extractReply({ text: 'See you Sunday.\n\nThanks!', html: null, senderName: 'Paul' })
		).toBe('See you Sunday.\n\nThanks!');
	});

	it('reads the HTML part when the text part is empty', () => {
		expect(extractReply({ text: '  ', html: '<p>Fine by me &amp; Rita.</p>' })).toBe(
			'Fine by me & Rita.'
		);
	});

	it('drops "Sent from my iPhone" and what follows', () => {
		expect(extractReply({ text: 'Yes.\n\nSent from my iPhone', html: null })).toBe('Yes.');
	});
});
