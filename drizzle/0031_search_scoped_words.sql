-- The words of a message as each of its two parties finds them (src/lib/server/messaging/
-- search-scope.ts): `<party key>_<word>` for every word and party. The search index is built on
-- it (next migration), so "this word in my messages" is one posting list whose length follows
-- the viewer's matches. A party key is the last 12 hex digits of the user's id (its random
-- part); keys that collide only add candidates the search filters out.
--
-- Written by hand, not in src/lib/server/db/functions: an index depends on this function, so it
-- is never dropped and created again like those. A change is a new function and a new index.
-- PL/pgSQL rather than SQL: a SQL function whose body calls STABLE functions (array_to_string)
-- is not inlined, and its call costs more than the work (20 us against 7 us per message).
CREATE FUNCTION search_scoped_words(p_parties uuid[], p_words tsvector) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
	words text[] := tsvector_to_array(p_words);
	keys text[] := ARRAY[right(p_parties[1]::text, 12), right(p_parties[2]::text, 12)];
BEGIN
	IF cardinality(words) = 0 THEN
		RETURN ''::tsvector;
	END IF;
	-- Lexemes hold no line breaks (the parser splits words at whitespace).
	RETURN array_to_tsvector(string_to_array(
		keys[1] || '_' || array_to_string(words, E'\n' || keys[1] || '_') || E'\n'
		|| keys[2] || '_' || array_to_string(words, E'\n' || keys[2] || '_'), E'\n'));
END
$$;
