-- Trigger function: every message carries the two parties of its contract (messages.party_ids),
-- so that search finds "words in messages of my conversations" in one GIN index scan over
-- (party_ids, search) instead of joining every thread of a busy user. A contract's parties
-- never change, so only inserts need it; it runs inside the send's own transaction.
CREATE OR REPLACE FUNCTION parley_message_parties() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	SELECT ARRAY[c.requester_id, c.provider_id] INTO NEW.party_ids
	FROM message_threads t
	JOIN contracts c ON c.id = t.contract_id
	WHERE t.id = NEW.thread_id;
	RETURN NEW;
END
$$;
