-- The payload of the NOTIFY that a caller sends after commit: the thread's participants.
-- PL/pgSQL rather than SQL so its plan is cached: a SQL function called from another function
-- is planned again at every call (a tenth of a send's time in Postgres when it was one).
CREATE OR REPLACE FUNCTION parley_live_payload(p_thread_id uuid) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN (
		SELECT json_build_object('u', array_agg(p.user_id))::text
		FROM message_thread_participants p WHERE p.thread_id = p_thread_id
	);
END
$$;
