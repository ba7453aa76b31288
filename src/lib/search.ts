// Search rules and helpers the browser needs too (zod-free: see e2e/client-bundle.test.ts); the
// schemas in $lib/schemas/search.ts take their limits from here.

export const SEARCH_QUERY_MAX_LENGTH = 200;
export const SEARCH_PAGE_MAX = 50;
/** Results the inbox's search box shows as the person types. */
export const SEARCH_BOX_LIMIT = 6;

export interface MatchRange {
	start: number;
	end: number;
}

export interface Segment {
	text: string;
	match: boolean;
}

/**
 * A snippet cut into plain and matched pieces, for rendering matches as <mark> around text
 * nodes: the text itself is never parsed as HTML. Ranges outside the text are clipped,
 * overlapping ones merged.
 */
export function highlightSegments(text: string, ranges: readonly MatchRange[]): Segment[] {
	const sorted = ranges
		.map((r) => ({ start: Math.max(0, r.start), end: Math.min(text.length, r.end) }))
		.filter((r) => r.end > r.start)
		.sort((a, b) => a.start - b.start);
	const merged: MatchRange[] = [];
	for (const range of sorted) {
		const last = merged.at(-1);
		if (last && range.start <= last.end) last.end = Math.max(last.end, range.end);
		else merged.push({ ...range });
	}
	const segments: Segment[] = [];
	let at = 0;
	for (const range of merged) {
		if (range.start > at) segments.push({ text: text.slice(at, range.start), match: false });
		segments.push({ text: text.slice(range.start, range.end), match: true });
		at = range.end;
	}
	if (at < text.length) segments.push({ text: text.slice(at), match: false });
	return segments;
}

/**
 * A snippet that starts at most about `lead` characters before its first match, at a word, with
 * "…" in front of what was cut: for a preview clamped to a line or two, where a long first
 * sentence (or one long word) would hide the match. Unchanged when the match is already near the
 * start, or when there is none.
 */
export function leadToMatch(
	text: string,
	ranges: readonly MatchRange[],
	lead: number
): { text: string; ranges: MatchRange[] } {
	const first = Math.min(...ranges.map((r) => r.start));
	if (!Number.isFinite(first) || first <= lead) return { text, ranges: [...ranges] };
	// At the first word that starts within `lead` of the match; inside one long word, mid-word.
	const from = first - lead;
	const space = text.indexOf(' ', from);
	const cut = space !== -1 && space < first ? space + 1 : from;
	const kept = text.slice(cut);
	const shift = 1 - cut;
	return {
		text: `…${kept}`,
		ranges: ranges.map((r) => ({ start: r.start + shift, end: r.end + shift }))
	};
}

/** Where a search result opens: its conversation, around the message, scrolled to it. */
export function messageResultHref(contractId: string, messageId: string): string {
	return `/dashboard/rentals/${contractId}/messages?around=${messageId}#message-${messageId}`;
}
