// Splits message text into plain text and web addresses, so components can render links without
// ever passing user text through {@html}.
export type TextSegment =
	{ kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

const URL_PATTERN = /\b(?:https?:\/\/|www\.)[^\s<>"']+/gi;
// Punctuation that usually ends a sentence rather than the address.
const TRAILING = /[.,;:!?)\]}'"]$/;

function trimTrailing(url: string): string {
	while (TRAILING.test(url)) {
		// A closing parenthesis that balances one in the address belongs to it (Wikipedia links).
		if (url.endsWith(')') && count(url, '(') >= count(url, ')')) break;
		url = url.slice(0, -1);
	}
	return url;
}

function count(text: string, char: string): number {
	return text.split(char).length - 1;
}

export function linkify(text: string): TextSegment[] {
	const segments: TextSegment[] = [];
	let last = 0;
	for (const match of text.matchAll(URL_PATTERN)) {
		const url = trimTrailing(match[0]);
		const start = match.index;
		if (start > last) segments.push({ kind: 'text', text: text.slice(last, start) });
		const href = url.toLowerCase().startsWith('www.') ? `https://${url}` : url;
		segments.push({ kind: 'link', text: url, href });
		last = start + url.length;
	}
	if (last < text.length) segments.push({ kind: 'text', text: text.slice(last) });
	return segments;
}
