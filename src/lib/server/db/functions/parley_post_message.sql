-- Posts a message into the contract's thread, for every kind of author, creating the thread on
-- the first message; the one write path behind appendMessage (src/lib/server/messaging/append.ts).
-- The author must be a party of the contract: the user who writes, the one an assistant acts
-- for, or the one whose action a system message reports (p_caused_by, for whom it is read); a
-- system message of nobody's, or an assistant acting for nobody, needs only the contract. No row
-- when that check fails.
-- With an idempotency key, the first post under (author, key) within 24 hours is stored; a retry
-- answers that message again (replayed) and writes nothing, and the same key with another body
-- or contract raises SQLSTATE PR422. Concurrent retries meet at the key's primary key: the others
-- wait for the first to commit, then find its message.
-- Contact details are hidden from the recipients (CONTACT_MASKING, p_masking) in every mode but
-- 'off' for 'always', and for 'until-accepted' while the contract is requested. The caller passes
-- the masked text (p_masked_body, equal to p_body when nothing is hidden) whenever masking is on,
-- since only this lookup knows the contract's state: masking costs no second call.
-- p_limit_* are the author's rate limits (keys, maximum hits, window seconds; see
-- parley_hit_limits). A limit already reached (parley_limit_reached) refuses the post before
-- anything is written; the post counts one hit on each at the end, so the counters' row locks are
-- held only from there to the commit, and a hit past a limit rolls the post back. Both refusals
-- raise SQLSTATE PR429 with the limit's key as DETAIL and the seconds until its window closes as
-- HINT. A replayed post (idempotency key) counts nothing.
-- p_attachment_ids are uploads the message takes (at most 10): each must have been uploaded by
-- the author's party to this contract and not be taken by another message, or SQLSTATE PRATT is
-- raised and nothing is written. They are part of the idempotency key's request.
-- Answers the message as parley_message_row shows it to the author, and the NOTIFY payload for
-- after the commit.
CREATE OR REPLACE FUNCTION parley_post_message(
	p_contract_id uuid,
	p_sender_role text,
	p_user_id uuid,
	p_agent_id text,
	p_acting_for_id uuid,
	p_via text,
	p_body text,
	p_idempotency_key text,
	p_at timestamptz,
	p_caused_by uuid,
	p_attachment_ids uuid[],
	p_masking text,
	p_masked_body text,
	p_limit_keys text[],
	p_limit_max integer[],
	p_limit_windows integer[]
) RETURNS TABLE (message json, thread_id uuid, replayed boolean, live_payload text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_party uuid := coalesce(p_user_id, p_acting_for_id, p_caused_by);
	v_thread_id uuid;
	v_scope text;
	v_hash text;
	v_claimed boolean;
	v_known_hash text;
	v_known_message uuid;
	v_message messages;
	v_contract_status text;
	v_mask boolean;
	v_attachments integer := coalesce(cardinality(p_attachment_ids), 0);
	v_usable integer;
	v_limit_key text;
	v_limit_wait integer;
BEGIN
	-- One lookup answers "may this author post here", "is there a thread yet" and "are contact
	-- details hidden".
	SELECT t.id, c.status INTO v_thread_id, v_contract_status
	FROM contracts c
	LEFT JOIN message_threads t ON t.contract_id = c.id
	WHERE c.id = p_contract_id
		AND (v_party IS NULL OR c.requester_id = v_party OR c.provider_id = v_party);
	IF NOT FOUND THEN
		RETURN;
	END IF;
	v_mask := p_sender_role <> 'system' AND (p_masking = 'always'
		OR (p_masking = 'until-accepted' AND v_contract_status = 'requested'));
	IF v_mask AND p_masked_body IS NULL THEN
		RAISE EXCEPTION 'contact masking applies but no masked text was given';
	END IF;

	IF p_idempotency_key IS NOT NULL THEN
		v_scope := CASE p_sender_role
			WHEN 'user' THEN 'user:' || p_user_id
			WHEN 'assistant' THEN 'agent:' || p_agent_id
			ELSE 'system' END;
		v_hash := md5(p_contract_id::text || E'\n' || p_body || CASE WHEN v_attachments > 0
			THEN E'\n' || array_to_string(p_attachment_ids, ',') ELSE '' END);
		INSERT INTO message_idempotency_keys AS k (scope, key, request_hash)
		VALUES (v_scope, p_idempotency_key, v_hash)
		ON CONFLICT (scope, key) DO UPDATE
			SET request_hash = excluded.request_hash, message_id = NULL, created_at = now()
			WHERE k.created_at < now() - interval '24 hours'
		RETURNING true INTO v_claimed;
		IF v_claimed IS NULL THEN
			SELECT k.request_hash, k.message_id INTO v_known_hash, v_known_message
			FROM message_idempotency_keys k
			WHERE k.scope = v_scope AND k.key = p_idempotency_key;
			IF v_known_hash <> v_hash THEN
				RAISE EXCEPTION 'idempotency key % was used for another message', p_idempotency_key
					USING ERRCODE = 'PR422';
			END IF;
			RETURN QUERY
			SELECT parley_message_row(v_known_message, v_party), m.thread_id, true, NULL::text
			FROM messages m WHERE m.id = v_known_message;
			RETURN;
		END IF;
	END IF;

	IF p_limit_keys IS NOT NULL THEN
		-- A read, no lock: a sender over a limit costs one lookup per key, not a post rolled back.
		SELECT r.key, ceil(r.remaining)::integer INTO v_limit_key, v_limit_wait
		FROM parley_limit_reached(p_limit_keys, p_limit_max) r;
		IF FOUND THEN
			RAISE EXCEPTION 'rate limit % reached', v_limit_key
				USING ERRCODE = 'PR429', DETAIL = v_limit_key, HINT = greatest(1, v_limit_wait)::text;
		END IF;
	END IF;

	IF v_attachments > 0 THEN
		IF v_attachments > 10 THEN
			RAISE EXCEPTION 'a message takes at most 10 files' USING ERRCODE = 'PRATT';
		END IF;
		-- Locked, so two sends cannot take the same upload.
		SELECT count(*) INTO v_usable FROM (
			SELECT 1 FROM attachments a
			WHERE a.id = ANY (p_attachment_ids) AND a.contract_id = p_contract_id
				AND a.uploader_id = v_party AND a.message_id IS NULL AND a.status = 'ready'
			FOR UPDATE
		) usable;
		IF v_usable <> (SELECT count(DISTINCT x) FROM unnest(p_attachment_ids) x) THEN
			RAISE EXCEPTION 'an attachment is not an unused upload of this author to this contract'
				USING ERRCODE = 'PRATT';
		END IF;
	END IF;

	v_message := parley_append_message(
		coalesce(v_thread_id, parley_thread_for_contract(p_contract_id)),
		p_user_id, p_sender_role, p_body, p_at, p_agent_id, p_acting_for_id, coalesce(p_via, 'app'),
		p_caused_by, CASE WHEN v_mask THEN nullif(p_masked_body, p_body) END
	);
	IF v_attachments > 0 THEN
		-- In the order the sender listed them, not the order their uploads finished.
		UPDATE attachments a SET message_id = v_message.id,
			position = array_position(p_attachment_ids, a.id)
		WHERE a.id = ANY (p_attachment_ids);
	END IF;
	IF p_idempotency_key IS NOT NULL THEN
		UPDATE message_idempotency_keys k SET message_id = v_message.id
		WHERE k.scope = v_scope AND k.key = p_idempotency_key;
	END IF;
	RETURN QUERY
	SELECT parley_message_row(v_message.id, v_party), v_message.thread_id, false,
		parley_live_payload(v_message.thread_id);
	IF p_limit_keys IS NOT NULL THEN
		-- Last (RETURN QUERY has made the answer but not ended the call), so the counters' row
		-- locks are held for the commit only. Concurrent posts that all passed the check above
		-- meet here: the one past the limit is rolled back.
		SELECT h.key, ceil(h.remaining)::integer INTO v_limit_key, v_limit_wait
		FROM parley_hit_limits(p_limit_keys, p_limit_windows) h
		JOIN unnest(p_limit_keys, p_limit_max) AS l (key, max_hits) ON l.key = h.key
		WHERE h.hits > l.max_hits
		ORDER BY h.remaining DESC
		LIMIT 1;
		IF FOUND THEN
			RAISE EXCEPTION 'rate limit % reached', v_limit_key
				USING ERRCODE = 'PR429', DETAIL = v_limit_key, HINT = greatest(1, v_limit_wait)::text;
		END IF;
	END IF;
END
$$;
