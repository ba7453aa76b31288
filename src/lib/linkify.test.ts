import { describe, expect, it } from 'vitest';
import { linkify } from './linkify';

describe('linkify', () => {
	it('finds http, https and www addresses and leaves the rest as text', () => {
		expect(linkify('See https://example.com/a?b=1 and www.parley.dev, or http://x.io.')).toEqual([
			{ kind: 'text', text: 'See ' },
			{ kind: 'link', text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
			{ kind: 'text', text: ' and ' },
			{ kind: 'link', text: 'www.parley.dev', href: 'https://www.parley.dev' },
			{ kind: 'text', text: ', or ' },
			{ kind: 'link', text: 'http://x.io', href: 'http://x.io' },
			{ kind: 'text', text: '.' }
		]);
	});

	it('never turns other schemes into links', () => {
		expect(linkify('javascript:alert(1) data:text/html,<b>x</b>')).toEqual([
			{ kind: 'text', text: 'javascript:alert(1) data:text/html,<b>x</b>' }
		]);
	});

	it('keeps parentheses that belong to the address', () => {
		expect(linkify('(https://en.wikipedia.org/wiki/Foo_(bar))')[1]).toEqual({
			kind: 'link',
			text: 'https://en.wikipedia.org/wiki/Foo_(bar)',
			href: 'https://en.wikipedia.org/wiki/Foo_(bar)'
		});
	});

	it('returns plain text untouched', () => {
		expect(linkify('line one\nline two')).toEqual([{ kind: 'text', text: 'line one\nline two' }]);
	});
});
