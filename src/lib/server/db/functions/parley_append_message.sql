-- Appends one message to a thread: the only place that inserts into messages. Under the thread's
-- row lock it takes the next sequence number, counts the message as unread for every
-- participant but its reader: the sender, or the party whose action a system message reports
-- (p_caused_by), for whom it marks everything up to it read (receipts included). It brings the
-- thread back from everyone's archive, records the live events and queues one email
-- notification per human recipient who has not muted the thread (never for system messages,
-- nor for the person an assistant acts for). Each participant row is updated once. p_masked_body
-- is what the recipients see when contact details were hidden (null: nothing hidden). A closed
-- thread refuses everything but system messages with SQLSTATE PR409.
CREATE OR REPLACE FUNCTION parley_append_message(
	p_thread_id uuid,
	p_sender_id uuid,
	p_sender_role text,
	p_body text,
	p_at timestamptz,
	p_agent_id text,
	p_acting_for_id uuid,
	p_via text,
	p_caused_by uuid,
	p_masked_body text
) RETURNS messages LANGUAGE plpgsql AS $$
DECLARE
	v_reader uuid := coalesce(p_sender_id, p_caused_by);
	v_status text;
	v_last_seq integer;
	v_sender_read integer;
	v_marked integer := 0;
	v_message messages;
BEGIN
	SELECT t.status, t.last_seq INTO v_status, v_last_seq
	FROM message_threads t WHERE t.id = p_thread_id
	FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'thread % does not exist', p_thread_id;
	END IF;
	IF v_status = 'closed' AND p_sender_role <> 'system' THEN
		RAISE EXCEPTION 'thread % is closed', p_thread_id USING ERRCODE = 'PR409';
	END IF;

	INSERT INTO messages (thread_id, seq, sender_id, sender_role, body, created_at, agent_id,
		acting_for_id, via, masked_body)
	VALUES (p_thread_id, v_last_seq + 1, p_sender_id, p_sender_role, p_body, coalesce(p_at, now()),
		p_agent_id, p_acting_for_id, p_via, p_masked_body)
	RETURNING * INTO v_message;

	UPDATE message_threads t
	SET last_seq = v_message.seq,
		message_count = t.message_count + 1,
		last_message_at = v_message.created_at,
		last_message_id = v_message.id,
		-- A new human or assistant message reopens a resolved conversation.
		status = CASE WHEN p_sender_role <> 'system' AND t.status = 'resolved' THEN 'open' ELSE t.status END
	WHERE t.id = p_thread_id;

	IF p_sender_id IS NOT NULL THEN
		-- My own message is never unread for me, and writing means I have seen what came before:
		-- receipts for everything after my watermark, this message included.
		SELECT p.last_read_seq INTO v_sender_read
		FROM message_thread_participants p
		WHERE p.thread_id = p_thread_id AND p.user_id = p_sender_id
		FOR UPDATE;
		IF FOUND THEN
			WITH inserted AS (
				INSERT INTO message_read_receipts (message_id, reader_id, read_at)
				SELECT m.id, p_sender_id, now()
				FROM messages m
				WHERE m.thread_id = p_thread_id AND m.seq > v_sender_read AND m.seq <= v_message.seq
					AND m.deleted_at IS NULL
				ON CONFLICT DO NOTHING
				RETURNING 1
			)
			SELECT count(*) INTO v_marked FROM inserted;
		END IF;
	ELSIF p_caused_by IS NOT NULL THEN
		-- The report of my own action is read for me, and only it: acting on the rental elsewhere
		-- is no sign that I read the conversation. The watermark follows only when nothing before
		-- it is unread.
		SELECT p.last_read_seq INTO v_sender_read
		FROM message_thread_participants p
		WHERE p.thread_id = p_thread_id AND p.user_id = p_caused_by
		FOR UPDATE;
		IF FOUND THEN
			INSERT INTO message_read_receipts (message_id, reader_id, read_at)
			VALUES (v_message.id, p_caused_by, now());
			v_marked := 1;
			IF v_sender_read < v_last_seq THEN
				v_sender_read := NULL;
			END IF;
		END IF;
	END IF;

	UPDATE message_thread_participants p
	SET unread_count = p.unread_count + 1
			- CASE WHEN p.user_id IS NOT DISTINCT FROM v_reader THEN v_marked ELSE 0 END,
		last_message_at = v_message.created_at,
		last_read_seq = CASE WHEN p.user_id IS NOT DISTINCT FROM v_reader AND v_sender_read IS NOT NULL
			THEN v_message.seq ELSE p.last_read_seq END,
		last_read_message_id = CASE WHEN p.user_id IS NOT DISTINCT FROM v_reader AND v_sender_read IS NOT NULL
			THEN v_message.id ELSE p.last_read_message_id END,
		archived_at = NULL
	WHERE p.thread_id = p_thread_id;

	-- message.created for everyone; message.read only when the sender caught up on messages
	-- other than their own new one (otherwise no "Seen" changes anywhere).
	INSERT INTO live_events (user_id, kind, thread_id, message_id, actor_id, seq)
	SELECT p.user_id, e.kind, p.thread_id, e.message_id, e.actor_id, v_message.seq
	FROM message_thread_participants p
	CROSS JOIN (
		VALUES ('message.created', v_message.id, NULL::uuid), ('message.read', NULL::uuid, v_reader)
	) AS e (kind, message_id, actor_id)
	WHERE p.thread_id = p_thread_id AND (e.kind = 'message.created' OR v_marked > 1);

	IF p_sender_role <> 'system' THEN
		INSERT INTO message_notifications (message_id, recipient_id, thread_id, created_at)
		SELECT v_message.id, p.user_id, p.thread_id, v_message.created_at
		FROM message_thread_participants p
		WHERE p.thread_id = p_thread_id
			AND p.role IN ('requester', 'provider')
			AND p.user_id IS DISTINCT FROM p_sender_id
			AND p.user_id IS DISTINCT FROM p_acting_for_id
			AND NOT p.muted;
	END IF;
	RETURN v_message;
END
$$;
