-- search_scoped_terms (0034) with the message's sender role: a system message's terms carry
-- `<key>!` where the others carry `<key>` (`<key>!_<word>`, `<key>!#2_<word>`, `<key>!@<week>`).
-- A search leaves system messages out unless asked (include=system), and the index now does
-- too: before, a word of the status lines ("rental", in every "… updated the rental") was read
-- from all of them by a one-word search, then dropped. A search that asks for them looks up
-- both keys (src/lib/server/messaging/search-scope.ts). `!` never follows a key in another
-- term, so no term is another's. The index is built on it in the next migration. Written by
-- hand, like 0034: an index depends on it.
CREATE FUNCTION search_scoped_terms(p_parties uuid[], p_words tsvector, p_at timestamptz, p_role text)
RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
	mark text := CASE WHEN p_role = 'system' THEN '!' ELSE '' END;
	words text[] := tsvector_to_array(p_words);
	keys text[] := ARRAY[right(p_parties[1]::text, 12) || mark, right(p_parties[2]::text, 12) || mark];
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
