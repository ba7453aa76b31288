ALTER TABLE "reports" ADD COLUMN "kind" text;--> statement-breakpoint
-- A person report has neither a message nor a contract; a message report keeps its contract.
UPDATE "reports" SET "kind" = CASE WHEN "message_id" IS NULL AND "contract_id" IS NULL THEN 'person' ELSE 'message' END;--> statement-breakpoint
ALTER TABLE "reports" ALTER COLUMN "kind" SET NOT NULL;--> statement-breakpoint
-- Open reports that the unique indexes below would refuse (concurrent or repeated submits) become
-- one, the oldest, which takes the others' notes.
CREATE TEMPORARY TABLE "reports_merged" AS
	SELECT "id", "keep_id", "note", "created_at" FROM (
		SELECT "id", "note", "created_at",
			first_value("id") OVER (
				PARTITION BY "reporter_id", "kind", CASE WHEN "kind" = 'message' THEN "message_id" ELSE "reported_user_id" END
				ORDER BY "created_at", "id"
			) AS "keep_id"
		FROM "reports"
		WHERE "status" = 'open' AND ("kind" = 'person' OR "message_id" IS NOT NULL)
	) "ranked"
	WHERE "id" <> "keep_id";--> statement-breakpoint
UPDATE "reports" SET "note" = concat_ws(E'\n\n', nullif("reports"."note", ''), "merged"."notes")
	FROM (
		SELECT "keep_id", string_agg(nullif("note", ''), E'\n\n' ORDER BY "created_at") AS "notes"
		FROM "reports_merged" GROUP BY "keep_id"
	) "merged"
	WHERE "reports"."id" = "merged"."keep_id" AND "merged"."notes" IS NOT NULL;--> statement-breakpoint
DELETE FROM "reports" WHERE "id" IN (SELECT "id" FROM "reports_merged");--> statement-breakpoint
DROP TABLE "reports_merged";--> statement-breakpoint
CREATE UNIQUE INDEX "reports_open_message_key" ON "reports" USING btree ("reporter_id","message_id") WHERE status = 'open' and kind = 'message';--> statement-breakpoint
CREATE UNIQUE INDEX "reports_open_person_key" ON "reports" USING btree ("reporter_id","reported_user_id") WHERE status = 'open' and kind = 'person';--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_kind_check" CHECK ("reports"."kind" in ('message', 'person'));
