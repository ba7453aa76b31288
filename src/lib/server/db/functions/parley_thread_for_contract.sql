-- The contract's thread, created with both parties as participants when it does not exist yet.
-- Race-free: concurrent first posts meet at the unique index on contract_id; the loser's
-- INSERT waits for the winner to commit, and the next statement's snapshot sees its row.
-- Null when there is no such contract.
CREATE OR REPLACE FUNCTION parley_thread_for_contract(p_contract_id uuid)
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
