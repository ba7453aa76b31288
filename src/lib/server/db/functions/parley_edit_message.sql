-- The sender changes the text of their own message within p_window_seconds of sending it. The
-- text it replaces goes into message_edits; the live event tells both sides. Nothing is queued
-- for email: a digest not yet sent reads the latest text when it is built.
-- p_masked_body is the new text with contact details hidden, used when masking applies
-- (p_masking and the contract's status, as in parley_post_message).
-- No row when the editor is not a participant of the message's thread. Raises PR403 for a
-- message that is not the editor's own (system, assistant, the other party's), PRDEL for a
-- deleted one, PRWIN once the window has passed and PR409 in a closed thread.
CREATE OR REPLACE FUNCTION parley_edit_message(
	p_message_id uuid,
	p_user_id uuid,
	p_body text,
	p_window_seconds integer,
	p_masking text,
	p_masked_body text
) RETURNS TABLE (message json, contract_id uuid, live_payload text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_message messages;
	v_status text;
	v_contract_id uuid;
	v_contract_status text;
	v_masked text;
BEGIN
	SELECT m.* INTO v_message
	FROM messages m
	JOIN message_thread_participants p ON p.thread_id = m.thread_id AND p.user_id = p_user_id
	WHERE m.id = p_message_id
	FOR UPDATE OF m;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	IF v_message.sender_role <> 'user' OR v_message.sender_id IS DISTINCT FROM p_user_id THEN
		RAISE EXCEPTION 'message % is not the editor''s own', p_message_id USING ERRCODE = 'PR403';
	END IF;
	IF v_message.deleted_at IS NOT NULL THEN
		RAISE EXCEPTION 'message % was deleted', p_message_id USING ERRCODE = 'PRDEL';
	END IF;
	IF v_message.created_at < now() - make_interval(secs => p_window_seconds) THEN
		RAISE EXCEPTION 'message % can no longer be edited', p_message_id USING ERRCODE = 'PRWIN';
	END IF;
	SELECT t.status, t.contract_id, c.status INTO v_status, v_contract_id, v_contract_status
	FROM message_threads t JOIN contracts c ON c.id = t.contract_id
	WHERE t.id = v_message.thread_id;
	IF v_status = 'closed' THEN
		RAISE EXCEPTION 'thread % is closed', v_message.thread_id USING ERRCODE = 'PR409';
	END IF;

	IF v_message.body = p_body THEN
		RETURN QUERY SELECT parley_message_row(p_message_id, p_user_id), v_contract_id, NULL::text;
		RETURN;
	END IF;
	INSERT INTO message_edits (message_id, previous_body) VALUES (p_message_id, v_message.body);
	-- An edit is a write: whether its contact details are hidden is decided now, as for a send.
	IF p_masking = 'always' OR (p_masking = 'until-accepted' AND v_contract_status = 'requested') THEN
		v_masked := nullif(p_masked_body, p_body);
	END IF;
	UPDATE messages m SET body = p_body, masked_body = v_masked, edited_at = now()
	WHERE m.id = p_message_id;
	INSERT INTO live_events (user_id, kind, thread_id, message_id, actor_id, seq)
	SELECT p.user_id, 'message.updated', p.thread_id, p_message_id, p_user_id, v_message.seq
	FROM message_thread_participants p
	WHERE p.thread_id = v_message.thread_id;
	RETURN QUERY SELECT parley_message_row(p_message_id, p_user_id), v_contract_id,
		parley_live_payload(v_message.thread_id);
END
$$;
