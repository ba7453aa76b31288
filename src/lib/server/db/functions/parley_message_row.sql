-- One message as a participant sees it, as the JSON object that the message reads select with
-- Drizzle (src/lib/server/messaging/views.ts, selectMessageRows): the write functions answer
-- with it, so a write's answer goes through the same mapper as every read, and a search builds
-- each hit of its page with it.
-- The names, the counterpart's receipt and the files are looked up by key, one at a time, not
-- joined: for one row, a join of six tables costs more to start and stop than it saves (at 1M
-- messages, 115 -> 74 µs a call). The counterpart is the other of the message's parties
-- (party_ids = [requester, provider], set from its contract when it was written).
CREATE OR REPLACE FUNCTION parley_message_row(p_message_id uuid, p_viewer_id uuid) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN (
		SELECT json_build_object(
			'id', m.id,
			'threadId', m.thread_id,
			'seq', m.seq,
			'senderId', m.sender_id,
			'senderName', (SELECT u.display_name FROM users u WHERE u.id = m.sender_id),
			'senderRole', m.sender_role,
			-- Hidden contact details: the sender (or the party an assistant acts for) reads the text.
			'body', CASE WHEN m.masked_body IS NULL OR m.sender_id = p_viewer_id
				OR m.acting_for_id = p_viewer_id THEN m.body ELSE m.masked_body END,
			'contactDetailsHidden', m.masked_body IS NOT NULL,
			'createdAt', parley_iso_time(m.created_at),
			'editedAt', parley_iso_time(m.edited_at),
			'deletedAt', parley_iso_time(m.deleted_at),
			'readByCounterpartAt', parley_iso_time((
				SELECT r.read_at FROM message_read_receipts r
				WHERE r.message_id = m.id AND r.reader_id = CASE WHEN m.party_ids[2] = p_viewer_id
					THEN m.party_ids[1] ELSE m.party_ids[2] END)),
			'agentName', (SELECT a.name FROM api_tokens a WHERE a.id::text = m.agent_id),
			'actingForName', (SELECT af.display_name FROM users af WHERE af.id = m.acting_for_id),
			'via', m.via,
			-- Most messages have no files: an index probe spares them the function call.
			'attachments', CASE WHEN EXISTS (SELECT FROM attachments f WHERE f.message_id = m.id)
				THEN parley_message_attachments(m.id) ELSE '[]'::json END
		)
		FROM messages m
		WHERE m.id = p_message_id
	);
END
$$;
