-- One message as a participant sees it, as the JSON object that the message reads select with
-- Drizzle (src/lib/server/messaging/views.ts, selectMessageRows): the write functions answer
-- with it, so a write's answer goes through the same mapper as every read.
CREATE OR REPLACE FUNCTION parley_message_row(p_message_id uuid, p_viewer_id uuid) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN (
		SELECT json_build_object(
			'id', m.id,
			'threadId', m.thread_id,
			'seq', m.seq,
			'senderId', m.sender_id,
			'senderName', u.display_name,
			'senderRole', m.sender_role,
			-- Hidden contact details: the sender (or the party an assistant acts for) reads the text.
			'body', CASE WHEN m.masked_body IS NULL OR m.sender_id = p_viewer_id
				OR m.acting_for_id = p_viewer_id THEN m.body ELSE m.masked_body END,
			'contactDetailsHidden', m.masked_body IS NOT NULL,
			'createdAt', parley_iso_time(m.created_at),
			'editedAt', parley_iso_time(m.edited_at),
			'deletedAt', parley_iso_time(m.deleted_at),
			'readByCounterpartAt', parley_iso_time(r.read_at),
			'agentName', a.name,
			'actingForName', af.display_name,
			'via', m.via,
			'attachments', parley_message_attachments(m.id)
		)
		FROM messages m
		JOIN message_threads t ON t.id = m.thread_id
		JOIN contracts c ON c.id = t.contract_id
		LEFT JOIN users u ON u.id = m.sender_id
		LEFT JOIN api_tokens a ON a.id::text = m.agent_id
		LEFT JOIN users af ON af.id = m.acting_for_id
		LEFT JOIN message_read_receipts r ON r.message_id = m.id
			AND r.reader_id = CASE WHEN c.provider_id = p_viewer_id THEN c.requester_id ELSE c.provider_id END
		WHERE m.id = p_message_id
	);
END
$$;
