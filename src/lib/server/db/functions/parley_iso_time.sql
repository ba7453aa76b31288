-- A timestamp as the API shows it: ISO-8601 in UTC with milliseconds, like Date#toISOString
-- (src/lib/server/db/iso-time.ts is the same format for Drizzle queries).
CREATE OR REPLACE FUNCTION parley_iso_time(p_at timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;
