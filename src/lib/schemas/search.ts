import { z } from 'zod';
import { messageSchema, threadSchema } from './messaging';

// Searching my conversations: the query string of GET /api/messages/search and of the results
// page (a GET form), and the answer.

import { SEARCH_PAGE_MAX, SEARCH_QUERY_MAX_LENGTH } from '../search';

export { SEARCH_PAGE_MAX, SEARCH_QUERY_MAX_LENGTH };

const limitMessage = `limit must be a whole number from 1 to ${SEARCH_PAGE_MAX}.`;

/** A date (its start, UTC) or a full ISO-8601 timestamp; what a date input and an API client send. */
const instant = (name: string, description: string) =>
	z
		.string()
		.trim()
		.transform((value, ctx) => {
			const date = /^\d{4}-\d{2}-\d{2}$/.test(value)
				? new Date(`${value}T00:00:00Z`)
				: z.iso.datetime({ offset: true }).safeParse(value).success
					? new Date(value)
					: null;
			if (!date || Number.isNaN(date.getTime())) {
				ctx.addIssue({
					code: 'custom',
					message: `${name} must be a date (2026-03-31) or an ISO-8601 timestamp.`
				});
				return z.NEVER;
			}
			return date;
		})
		.optional()
		.meta({ description });

export const searchQuerySchema = z.object({
	q: z
		.string({ error: 'Type something to search for.' })
		.trim()
		.min(1, 'Type something to search for.')
		.max(
			SEARCH_QUERY_MAX_LENGTH,
			`Search queries can be at most ${SEARCH_QUERY_MAX_LENGTH} characters.`
		)
		.meta({
			description:
				'Words (all must match), "an exact phrase", -without, or; the last word also matches as a prefix. Accents and case do not matter.'
		}),
	contractId: z
		.uuid({ error: 'contractId must be a contract id.' })
		.optional()
		.meta({ description: 'Only this contract’s conversation.' }),
	from: z
		.enum(['me', 'them'], { error: 'from must be "me" or "them".' })
		.optional()
		.meta({ description: 'Only messages I wrote (or an assistant wrote for me), or the others.' }),
	after: instant('after', 'Only messages sent at or after this time (a date: its start, UTC).'),
	before: instant('before', 'Only messages sent before this time (a date: its start, UTC).'),
	include: z
		.enum(['system'], { error: 'include can only be "system".' })
		.optional()
		.meta({ description: 'system: status messages match too.' }),
	has: z
		.enum(['attachments'], { error: 'has can only be "attachments".' })
		.optional()
		.meta({ description: 'attachments: only messages with files attached.' }),
	sort: z
		.enum(['relevance', 'recent'], { error: 'sort must be "relevance" or "recent".' })
		.default('relevance')
		.meta({ description: 'relevance: best matches first, newer first among equals.' }),
	cursor: z
		.string()
		.max(300)
		.optional()
		.meta({ description: 'nextCursor of the previous page, with the same query.' }),
	limit: z.coerce
		.number({ error: limitMessage })
		.int(limitMessage)
		.min(1, limitMessage)
		.max(SEARCH_PAGE_MAX, limitMessage)
		.default(20)
});

export type SearchQuery = z.output<typeof searchQuerySchema>;

export const highlightsSchema = z
	.object({
		text: z.string().meta({
			description:
				'A snippet of the message as plain text (never HTML); "…" marks where it was cut.'
		}),
		ranges: z.array(z.object({ start: z.number().int(), end: z.number().int() })).meta({
			description: 'The matched words: [start, end) offsets into text, in UTF-16 code units.'
		})
	})
	.meta({ id: 'SearchHighlights' });

export const searchHitSchema = z
	.object({ message: messageSchema, thread: threadSchema, highlights: highlightsSchema })
	.meta({ id: 'SearchHit' });

export const searchResultsSchema = z
	.object({
		threads: z.array(threadSchema).meta({
			description:
				'Conversations whose counterpart’s name or contract title match; on the first page only.'
		}),
		messages: z.array(searchHitSchema),
		nextCursor: z.string().nullable()
	})
	.meta({ id: 'SearchResults' });

export type Highlights = z.infer<typeof highlightsSchema>;
export type SearchHit = z.infer<typeof searchHitSchema>;
export type SearchResults = z.infer<typeof searchResultsSchema>;
