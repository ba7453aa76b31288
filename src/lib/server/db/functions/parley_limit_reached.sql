-- The first of the rate limits p_keys (with their maximums p_max) whose window is open and
-- already holds its maximum of hits, the one that reopens last; no row when another hit would
-- be within every limit. A read: it counts nothing and locks nothing (see parley_hit_limits).
CREATE OR REPLACE FUNCTION parley_limit_reached(p_keys text[], p_max integer[])
RETURNS TABLE (key text, remaining float8)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
	RETURN QUERY
	SELECT c.key, extract(epoch from c.window_ends_at - now())::float8
	FROM unnest(p_keys, p_max) AS l (key, max_hits)
	JOIN rate_limit_counters c ON c.key = l.key
	WHERE c.window_ends_at > now() AND c.hits >= l.max_hits
	ORDER BY c.window_ends_at DESC
	LIMIT 1;
END
$$;
