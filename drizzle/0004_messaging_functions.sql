-- The write paths of messaging as PL/pgSQL functions: a send or a read is one round trip instead of
-- a dozen statements in a client-driven transaction, and the thread's row lock is held only for
-- the function's own work, not across network round trips. Each statement in a (volatile)
-- function takes a fresh snapshot under READ COMMITTED, so everything that committed before we
-- got a lock is visible to the statements after it, exactly as in the client-side version.
-- The TypeScript callers live in src/lib/server/messaging; tests exercise these through them.

-- The payload of the NOTIFY that the caller sends after commit: the thread's participants.
-- PL/pgSQL rather than SQL so its plan is cached: a SQL function called from another function
-- is planned again at every call (a tenth of a send's time in Postgres when it was one).
CREATE FUNCTION parley_live_payload(p_thread_id uuid) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN (
		SELECT json_build_object('u', array_agg(p.user_id))::text
		FROM message_thread_participants p WHERE p.thread_id = p_thread_id
	);
END
$$;
--> statement-breakpoint

-- Receipts for every message of the thread up to p_upto_seq that the reader has none for, and
-- unread_count lowered by exactly the number written, under the participant's row lock. Sends
-- take the thread lock and commit in seq order, so every message up to p_upto_seq is visible:
-- the watermark never passes a message that is still being written. Returns how many it marked
-- and, when that is any, the NOTIFY payload for after the commit.
CREATE FUNCTION parley_mark_read_up_to(p_thread_id uuid, p_reader_id uuid, p_upto_seq integer)
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
--> statement-breakpoint

-- PUT /api/contracts/{id}/thread/read: everything up to the newest message. Null when the reader
-- has no thread on that contract (no thread yet, or not a party).
CREATE FUNCTION parley_mark_thread_read(p_contract_id uuid, p_reader_id uuid)
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
--> statement-breakpoint

-- PUT /api/messages/{id}/read: that message and every earlier one. No row when the reader is not
-- a participant of the message's thread.
CREATE FUNCTION parley_mark_message_read(p_message_id uuid, p_reader_id uuid)
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
--> statement-breakpoint

-- The contract's thread, created with both parties as participants when it does not exist yet.
-- Race-free: concurrent first posts meet at the unique index on contract_id; the loser's
-- INSERT waits for the winner to commit, and the next statement's snapshot sees its row.
-- Null when there is no such contract.
CREATE FUNCTION parley_thread_for_contract(p_contract_id uuid)
RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
	v_thread_id uuid;
BEGIN
	SELECT t.id INTO v_thread_id FROM message_threads t WHERE t.contract_id = p_contract_id;
	IF FOUND THEN
		RETURN v_thread_id;
	END IF;

	INSERT INTO message_threads (contract_id, subject)
	SELECT c.id, c.title FROM contracts c WHERE c.id = p_contract_id
	ON CONFLICT (contract_id) DO NOTHING
	RETURNING id INTO v_thread_id;
	IF v_thread_id IS NULL THEN
		SELECT t.id INTO v_thread_id FROM message_threads t WHERE t.contract_id = p_contract_id;
		RETURN v_thread_id;
	END IF;

	INSERT INTO message_thread_participants (thread_id, user_id, role)
	SELECT v_thread_id, c.requester_id, 'requester' FROM contracts c WHERE c.id = p_contract_id
	UNION ALL
	SELECT v_thread_id, c.provider_id, 'provider' FROM contracts c WHERE c.id = p_contract_id;
	RETURN v_thread_id;
END
$$;
--> statement-breakpoint

-- Appends one message: the only place that writes messages. Under the thread's row lock it takes
-- the next sequence number, counts the message as unread for every participant but a sender
-- with an account, for whom it marks everything up to it read (receipts included); records the
-- live events and queues one email notification per human recipient (never for system
-- messages). Each participant row is updated once. A closed thread refuses everything but
-- system messages with SQLSTATE PR409.
CREATE FUNCTION parley_append_message(
	p_thread_id uuid,
	p_sender_id uuid,
	p_sender_role text,
	p_body text,
	p_at timestamptz DEFAULT NULL
) RETURNS messages LANGUAGE plpgsql AS $$
DECLARE
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

	INSERT INTO messages (thread_id, seq, sender_id, sender_role, body, created_at)
	VALUES (p_thread_id, v_last_seq + 1, p_sender_id, p_sender_role, p_body, coalesce(p_at, now()))
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
		-- My own message is never unread for me, and sending means I have seen what came before:
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
				ON CONFLICT DO NOTHING
				RETURNING 1
			)
			SELECT count(*) INTO v_marked FROM inserted;
		END IF;
	END IF;

	UPDATE message_thread_participants p
	SET unread_count = p.unread_count + 1
			- CASE WHEN p.user_id IS NOT DISTINCT FROM p_sender_id THEN v_marked ELSE 0 END,
		last_message_at = v_message.created_at,
		last_read_seq = CASE WHEN p.user_id IS NOT DISTINCT FROM p_sender_id AND v_sender_read IS NOT NULL
			THEN v_message.seq ELSE p.last_read_seq END,
		last_read_message_id = CASE WHEN p.user_id IS NOT DISTINCT FROM p_sender_id AND v_sender_read IS NOT NULL
			THEN v_message.id ELSE p.last_read_message_id END
	WHERE p.thread_id = p_thread_id;

	-- message.created for everyone; message.read only when the sender caught up on messages
	-- other than their own new one (otherwise no "Seen" changes anywhere).
	INSERT INTO live_events (user_id, kind, thread_id, message_id, actor_id, seq)
	SELECT p.user_id, e.kind, p.thread_id, e.message_id, e.actor_id, v_message.seq
	FROM message_thread_participants p
	CROSS JOIN (
		VALUES ('message.created', v_message.id, NULL::uuid), ('message.read', NULL::uuid, p_sender_id)
	) AS e (kind, message_id, actor_id)
	WHERE p.thread_id = p_thread_id AND (e.kind = 'message.created' OR v_marked > 1);

	IF p_sender_role <> 'system' THEN
		INSERT INTO message_notifications (message_id, recipient_id, thread_id, created_at)
		SELECT v_message.id, p.user_id, p.thread_id, v_message.created_at
		FROM message_thread_participants p
		WHERE p.thread_id = p_thread_id
			AND p.role IN ('requester', 'provider')
			AND p.user_id IS DISTINCT FROM p_sender_id;
	END IF;
	RETURN v_message;
END
$$;
--> statement-breakpoint

-- A party of the contract posts a message, creating the thread on the first one. No row when the
-- sender is not a party. Returns what the API answers with, and the NOTIFY payload for after commit.
CREATE FUNCTION parley_send_message(
	p_contract_id uuid,
	p_sender_id uuid,
	p_body text,
	p_at timestamptz DEFAULT NULL
) RETURNS TABLE (
	id uuid,
	thread_id uuid,
	seq integer,
	sender_name text,
	body text,
	created_at timestamptz,
	live_payload text
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_thread_id uuid;
	v_message messages;
BEGIN
	-- One lookup answers both "is the sender a party" and "is there a thread yet".
	SELECT t.id INTO v_thread_id
	FROM contracts c
	LEFT JOIN message_threads t ON t.contract_id = c.id
	WHERE c.id = p_contract_id AND (c.requester_id = p_sender_id OR c.provider_id = p_sender_id);
	IF NOT FOUND THEN
		RETURN;
	END IF;
	v_message := parley_append_message(
		coalesce(v_thread_id, parley_thread_for_contract(p_contract_id)), p_sender_id, 'user', p_body, p_at
	);
	RETURN QUERY
	SELECT v_message.id, v_message.thread_id, v_message.seq, u.display_name, v_message.body,
		v_message.created_at, parley_live_payload(v_message.thread_id)
	FROM users u WHERE u.id = p_sender_id;
END
$$;
