-- party_ids is NOT NULL in the schema: existing messages get their contract's parties first.
ALTER TABLE "messages" ADD COLUMN "party_ids" uuid[];--> statement-breakpoint
UPDATE "messages" m SET "party_ids" = ARRAY[c."requester_id", c."provider_id"]
FROM "message_threads" t JOIN "contracts" c ON c."id" = t."contract_id"
WHERE t."id" = m."thread_id";--> statement-breakpoint
ALTER TABLE "messages" ALTER COLUMN "party_ids" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "search" "tsvector" GENERATED ALWAYS AS (to_tsvector('parley_search', "messages"."body")) STORED NOT NULL;--> statement-breakpoint
CREATE INDEX "contracts_title_trgm_idx" ON "contracts" USING gin (lower(coalesce((ts_lexize('unaccent', "title"))[1], "title")) gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "messages_search_idx" ON "messages" USING gin ("party_ids","search");--> statement-breakpoint
CREATE INDEX "users_name_trgm_idx" ON "users" USING gin (lower(coalesce((ts_lexize('unaccent', "display_name"))[1], "display_name")) gin_trgm_ops);--> statement-breakpoint
-- Not expressible in schema.ts: every new message gets its parties in the insert itself.
CREATE TRIGGER "messages_party_ids" BEFORE INSERT ON "messages"
FOR EACH ROW EXECUTE FUNCTION parley_message_parties();
