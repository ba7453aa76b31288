-- PUT /api/contracts/{id}/thread/read: everything up to the newest message. No row when the
-- reader has no thread on that contract (no thread yet, or not a party).
CREATE OR REPLACE FUNCTION parley_mark_thread_read(p_contract_id uuid, p_reader_id uuid)
RETURNS TABLE (marked integer, thread_id uuid, live_payload text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_thread_id uuid;
	v_last_seq integer;
BEGIN
	SELECT t.id, t.last_seq INTO v_thread_id, v_last_seq
	FROM message_threads t
	JOIN message_thread_participants p ON p.thread_id = t.id AND p.user_id = p_reader_id
	WHERE t.contract_id = p_contract_id;
	IF FOUND THEN
		RETURN QUERY SELECT * FROM parley_mark_read_up_to(v_thread_id, p_reader_id, v_last_seq);
	END IF;
END
$$;
