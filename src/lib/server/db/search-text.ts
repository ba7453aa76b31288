import { customType } from 'drizzle-orm/pg-core';
import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';

// The text search pieces that the schema's indexes and the search queries must spell alike: an
// index on an expression serves only a query that repeats the same expression.

/**
 * The configuration messages are indexed with: a copy of `simple` (lower case, no stemming, no
 * stop words, so every language is matched by its words) with `unaccent` before it for the
 * token types that can hold accents. Created by the search migration.
 */
export const SEARCH_CONFIG = 'parley_search';

/**
 * A message's terms as its parties find them in the index (migrations 0034 and 0037,
 * src/lib/server/messaging/search-scope.ts): `<party key>_<word>` for each word,
 * `<party key>#2_<word>` for a word it holds twice or more, `<party key>@<week>` for when it was
 * written; a system message's key is followed by `!`.
 */
export function scopedTerms(
	partyIds: SQLWrapper,
	words: SQLWrapper,
	at: SQLWrapper,
	senderRole: SQLWrapper
): SQL {
	return sql`search_scoped_terms(${partyIds}, ${words}, ${at}, ${senderRole})`;
}

export const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/**
 * Lower case without accents, for trigram matching of names and titles. `unaccent()` is only
 * STABLE and cannot be indexed; `ts_lexize` with the unaccent dictionary is IMMUTABLE (it answers
 * NULL when there was nothing to strip).
 */
export function foldedText(value: SQLWrapper): SQL<string> {
	return sql<string>`lower(coalesce((ts_lexize('unaccent', ${value}))[1], ${value}))`;
}
