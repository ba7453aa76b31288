DROP INDEX "messages_scoped_words_idx";--> statement-breakpoint
CREATE INDEX "messages_scoped_terms_idx" ON "messages" USING gin (search_scoped_terms("party_ids", "search", "created_at"));--> statement-breakpoint
-- Nothing else reads it (0034 holds its terms and more).
DROP FUNCTION search_scoped_words(uuid[], tsvector);
