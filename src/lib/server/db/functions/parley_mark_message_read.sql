-- PUT /api/messages/{id}/read: that message and every earlier one. No row when the reader is not
-- a participant of the message's thread.
CREATE OR REPLACE FUNCTION parley_mark_message_read(p_message_id uuid, p_reader_id uuid)
RETURNS TABLE (marked integer, thread_id uuid, live_payload text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_thread_id uuid;
	v_seq integer;
BEGIN
	SELECT m.thread_id, m.seq INTO v_thread_id, v_seq
	FROM messages m
	JOIN message_thread_participants p ON p.thread_id = m.thread_id AND p.user_id = p_reader_id
	WHERE m.id = p_message_id;
	IF FOUND THEN
		RETURN QUERY SELECT * FROM parley_mark_read_up_to(v_thread_id, p_reader_id, v_seq);
	END IF;
END
$$;
