-- One message as a participant sees it (parley_message_rows): the write functions answer with it.
CREATE OR REPLACE FUNCTION parley_message_row(p_message_id uuid, p_viewer_id uuid) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN (SELECT r.message FROM parley_message_rows(ARRAY[p_message_id], p_viewer_id) r);
END
$$;
