DROP INDEX "messages_search_idx";--> statement-breakpoint
CREATE INDEX "messages_scoped_words_idx" ON "messages" USING gin (search_scoped_words("party_ids", "search"));