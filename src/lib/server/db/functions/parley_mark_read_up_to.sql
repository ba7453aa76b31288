-- Receipts for every message of the thread up to p_upto_seq that the reader has none for, and
-- unread_count lowered by exactly the number written, under the participant's row lock. Sends
-- take the thread lock and commit in seq order, so every message up to p_upto_seq is visible:
-- the watermark never passes a message that is still being written. Deleted messages get no
-- receipt (they no longer count as unread). Returns how many it marked and, when that is any,
-- the NOTIFY payload for after the commit.
CREATE OR REPLACE FUNCTION parley_mark_read_up_to(p_thread_id uuid, p_reader_id uuid, p_upto_seq integer)
RETURNS TABLE (marked integer, thread_id uuid, live_payload text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_last_read integer;
	v_marked integer;
BEGIN
	SELECT p.last_read_seq INTO v_last_read
	FROM message_thread_participants p
	WHERE p.thread_id = p_thread_id AND p.user_id = p_reader_id
	FOR UPDATE;
	IF NOT FOUND OR p_upto_seq <= v_last_read THEN
		RETURN QUERY SELECT 0, p_thread_id, NULL::text;
		RETURN;
	END IF;

	WITH inserted AS (
		INSERT INTO message_read_receipts (message_id, reader_id, read_at)
		SELECT m.id, p_reader_id, now()
		FROM messages m
		WHERE m.thread_id = p_thread_id AND m.seq > v_last_read AND m.seq <= p_upto_seq
			AND m.deleted_at IS NULL
		ON CONFLICT DO NOTHING
		RETURNING 1
	)
	SELECT count(*) INTO v_marked FROM inserted;

	UPDATE message_thread_participants p
	SET last_read_seq = p_upto_seq,
		last_read_message_id = (
			SELECT m.id FROM messages m WHERE m.thread_id = p_thread_id AND m.seq = p_upto_seq
		),
		unread_count = p.unread_count - v_marked
	WHERE p.thread_id = p_thread_id AND p.user_id = p_reader_id;

	IF v_marked > 0 THEN
		INSERT INTO live_events (user_id, kind, thread_id, actor_id, seq)
		SELECT p.user_id, 'message.read', p.thread_id, p_reader_id, p_upto_seq
		FROM message_thread_participants p
		WHERE p.thread_id = p_thread_id;
	END IF;
	RETURN QUERY SELECT v_marked, p_thread_id,
		CASE WHEN v_marked > 0 THEN parley_live_payload(p_thread_id) END;
END
$$;
