-- The files of a message in the order its sender listed them (older rows without a position:
-- oldest upload first), as the JSON array that views.ts maps to each
-- Message's attachments (the Drizzle reads select the same through this function).
CREATE OR REPLACE FUNCTION parley_message_attachments(p_message_id uuid) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN coalesce((
		SELECT json_agg(json_build_object(
			'id', a.id,
			'filename', a.filename,
			'contentType', a.content_type,
			'size', a.size,
			'width', a.width,
			'height', a.height,
			'hasThumbnails', a.has_thumbnails
		) ORDER BY a.position, a.created_at, a.id)
		FROM attachments a WHERE a.message_id = p_message_id
	), '[]'::json);
END
$$;
