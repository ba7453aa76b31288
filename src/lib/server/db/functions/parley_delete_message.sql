-- The sender unsends their own message within p_window_seconds: its text and edit history are
-- erased, the row stays as a placeholder. Whoever had not read it has one unread message fewer;
-- its receipts go (a deleted message is neither read nor unread), a pending email about it is
-- skipped. It takes the thread's lock and then the participants' locks, in the order a send takes
-- them, so a concurrent send, read or mark-unread is either wholly before it or wholly after.
-- No row when the caller is not a participant; deleted is false when it already was. Raises
-- PR403 for a message that is not the caller's own and PRWIN once the window has passed.
-- p_moderator: an operator (p_user_id) removes any message, at any time, from outside the thread;
-- moderation/actions.ts checks the role and records why.
CREATE OR REPLACE FUNCTION parley_delete_message(
	p_message_id uuid,
	p_user_id uuid,
	p_window_seconds integer,
	p_moderator boolean DEFAULT false
) RETURNS TABLE (deleted boolean, thread_id uuid, live_payload text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_message messages;
BEGIN
	IF p_moderator THEN
		SELECT m.* INTO v_message FROM messages m WHERE m.id = p_message_id;
	ELSE
		SELECT m.* INTO v_message
		FROM messages m
		JOIN message_thread_participants p ON p.thread_id = m.thread_id AND p.user_id = p_user_id
		WHERE m.id = p_message_id;
	END IF;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	IF NOT p_moderator
		AND (v_message.sender_role <> 'user' OR v_message.sender_id IS DISTINCT FROM p_user_id) THEN
		RAISE EXCEPTION 'message % is not the caller''s own', p_message_id USING ERRCODE = 'PR403';
	END IF;
	IF v_message.deleted_at IS NOT NULL THEN
		RETURN QUERY SELECT false, v_message.thread_id, NULL::text;
		RETURN;
	END IF;
	IF NOT p_moderator AND v_message.created_at < now() - make_interval(secs => p_window_seconds) THEN
		RAISE EXCEPTION 'message % can no longer be deleted', p_message_id USING ERRCODE = 'PRWIN';
	END IF;

	PERFORM 1 FROM message_threads t WHERE t.id = v_message.thread_id FOR UPDATE;
	PERFORM 1 FROM message_thread_participants p
	WHERE p.thread_id = v_message.thread_id ORDER BY p.user_id FOR UPDATE;

	UPDATE messages m SET body = '', masked_body = NULL, deleted_at = now()
	WHERE m.id = p_message_id AND m.deleted_at IS NULL;
	IF NOT FOUND THEN
		-- A concurrent delete won.
		RETURN QUERY SELECT false, v_message.thread_id, NULL::text;
		RETURN;
	END IF;
	UPDATE message_thread_participants p SET unread_count = p.unread_count - 1
	WHERE p.thread_id = v_message.thread_id
		AND NOT EXISTS (
			SELECT 1 FROM message_read_receipts r
			WHERE r.message_id = p_message_id AND r.reader_id = p.user_id
		);
	DELETE FROM message_read_receipts r WHERE r.message_id = p_message_id;
	DELETE FROM message_edits e WHERE e.message_id = p_message_id;
	UPDATE message_notifications n
	SET status = 'skipped', skip_reason = 'deleted', processed_at = now(), locked_until = NULL
	WHERE n.message_id = p_message_id AND n.status = 'pending';
	INSERT INTO live_events (user_id, kind, thread_id, message_id, actor_id, seq)
	SELECT p.user_id, 'message.deleted', p.thread_id, p_message_id, p_user_id, v_message.seq
	FROM message_thread_participants p
	WHERE p.thread_id = v_message.thread_id;
	RETURN QUERY SELECT true, v_message.thread_id, parley_live_payload(v_message.thread_id);
END
$$;
