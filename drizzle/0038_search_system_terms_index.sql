DROP INDEX "messages_scoped_terms_idx";--> statement-breakpoint
CREATE INDEX "messages_scoped_terms_idx" ON "messages" USING gin (search_scoped_terms("party_ids", "search", "created_at", "sender_role"));--> statement-breakpoint
-- Nothing else reads it (0037 holds its terms, by sender role).
DROP FUNCTION search_scoped_terms(uuid[], tsvector, timestamptz);
