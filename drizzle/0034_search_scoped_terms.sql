-- The terms of a message in the search index, for each of its two parties (party key: the last
-- 12 hex digits of the user's id, as in search_scoped_words, migration 0031):
--   `<key>_<word>`     every word (what search_scoped_words held);
--   `<key>#2_<word>`   a word the message holds twice or more: a one-word search ranks those
--                      above the rest (ts_rank_cd counts occurrences) and finds them here first;
--   `<key>@<week>`     the week it was written (whole weeks since 1970), so the newest of a
--                      common word's matches are found a few weeks at a time, not all of them.
-- `#` and `@` never follow a key in a word's term (a word follows `_`), so no term is another's.
-- The index is built on it in the next migration (src/lib/server/messaging/search-scope.ts reads
-- it). Written by hand, like 0031: an index depends on it.
CREATE FUNCTION search_scoped_terms(p_parties uuid[], p_words tsvector, p_at timestamptz)
RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
	words text[] := tsvector_to_array(p_words);
	keys text[] := ARRAY[right(p_parties[1]::text, 12), right(p_parties[2]::text, 12)];
	week text := floor(extract(epoch FROM p_at) / 604800)::bigint::text;
	terms text := keys[1] || '@' || week || E'\n' || keys[2] || '@' || week;
	repeated text[];
BEGIN
	IF cardinality(words) > 0 THEN
		-- Lexemes hold no line breaks (the parser splits words at whitespace).
		terms := terms
			|| E'\n' || keys[1] || '_' || array_to_string(words, E'\n' || keys[1] || '_')
			|| E'\n' || keys[2] || '_' || array_to_string(words, E'\n' || keys[2] || '_');
		SELECT array_agg(lexeme) INTO repeated FROM unnest(p_words) WHERE cardinality(positions) > 1;
		IF repeated IS NOT NULL THEN
			terms := terms
				|| E'\n' || keys[1] || '#2_' || array_to_string(repeated, E'\n' || keys[1] || '#2_')
				|| E'\n' || keys[2] || '#2_' || array_to_string(repeated, E'\n' || keys[2] || '#2_');
		END IF;
	END IF;
	RETURN array_to_tsvector(string_to_array(terms, E'\n'));
END
$$;
