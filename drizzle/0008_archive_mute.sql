DROP INDEX "participants_unread_idx";--> statement-breakpoint
ALTER TABLE "message_thread_participants" ADD COLUMN "archived_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "message_thread_participants" ADD COLUMN "muted" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "participants_unread_idx" ON "message_thread_participants" USING btree ("user_id","last_message_at" DESC NULLS LAST,"thread_id" DESC NULLS LAST,"unread_count","muted") WHERE "message_thread_participants"."unread_count" > 0;