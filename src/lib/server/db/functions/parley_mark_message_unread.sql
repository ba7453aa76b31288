-- PUT /api/messages/{id}/unread: that message and every later one that the reader did not write
-- become unread for the reader again. Their receipts go (so the other party's "Seen" goes back
-- too), the watermark moves to just before the message and unread_count rises by exactly the
-- receipts removed, under the participant's row lock like a read. No row when the reader is not
-- a participant of the message's thread.
CREATE OR REPLACE FUNCTION parley_mark_message_unread(p_message_id uuid, p_reader_id uuid)
RETURNS TABLE (marked integer, thread_id uuid, live_payload text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_thread_id uuid;
	v_seq integer;
	v_last_read integer;
	v_watermark integer;
	v_marked integer;
BEGIN
	SELECT m.thread_id, m.seq INTO v_thread_id, v_seq
	FROM messages m
	JOIN message_thread_participants p ON p.thread_id = m.thread_id AND p.user_id = p_reader_id
	WHERE m.id = p_message_id;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	SELECT p.last_read_seq INTO v_last_read
	FROM message_thread_participants p
	WHERE p.thread_id = v_thread_id AND p.user_id = p_reader_id
	FOR UPDATE;

	WITH removed AS (
		DELETE FROM message_read_receipts r
		USING messages m
		WHERE r.message_id = m.id AND r.reader_id = p_reader_id
			AND m.thread_id = v_thread_id AND m.seq >= v_seq
			AND m.sender_id IS DISTINCT FROM p_reader_id AND m.deleted_at IS NULL
		RETURNING 1
	)
	SELECT count(*) INTO v_marked FROM removed;

	v_watermark := least(v_last_read, v_seq - 1);
	UPDATE message_thread_participants p
	SET last_read_seq = v_watermark,
		last_read_message_id = (
			SELECT m.id FROM messages m WHERE m.thread_id = v_thread_id AND m.seq = v_watermark
		),
		unread_count = p.unread_count + v_marked
	WHERE p.thread_id = v_thread_id AND p.user_id = p_reader_id;

	IF v_marked > 0 THEN
		INSERT INTO live_events (user_id, kind, thread_id, actor_id, seq)
		SELECT p.user_id, 'message.unread', p.thread_id, p_reader_id, v_seq
		FROM message_thread_participants p
		WHERE p.thread_id = v_thread_id;
	END IF;
	RETURN QUERY SELECT v_marked, v_thread_id,
		CASE WHEN v_marked > 0 THEN parley_live_payload(v_thread_id) END;
END
$$;
