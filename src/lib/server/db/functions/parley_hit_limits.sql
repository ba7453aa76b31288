-- Counts one hit on each rate limit and answers each key's count and the seconds until its
-- window closes (src/lib/server/rate-limit.ts). The counts are rows of rate_limit_counters, one
-- per key; a window opens with the key's first hit and lasts p_windows[i] seconds. One upsert, so
-- concurrent hits take turns on the row and none slips under a limit. The keys must be distinct.
-- PL/pgSQL rather than SQL so that the statement's plan is kept between calls.
CREATE OR REPLACE FUNCTION parley_hit_limits(p_keys text[], p_windows integer[])
RETURNS TABLE (key text, hits integer, remaining float8)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
	RETURN QUERY
	INSERT INTO rate_limit_counters AS c (key, hits, window_ends_at)
	SELECT l.key, 1, now() + make_interval(secs => greatest(1, l.window_seconds))
	FROM unnest(p_keys, p_windows) AS l (key, window_seconds)
	ON CONFLICT (key) DO UPDATE SET
		hits = CASE WHEN c.window_ends_at <= now() THEN 1 ELSE c.hits + 1 END,
		window_ends_at = CASE WHEN c.window_ends_at <= now() THEN excluded.window_ends_at
			ELSE c.window_ends_at END
	RETURNING c.key, c.hits, extract(epoch from c.window_ends_at - now())::float8;
END
$$;
