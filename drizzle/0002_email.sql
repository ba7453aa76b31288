CREATE TABLE "email_queue" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"type" text NOT NULL,
	"recipient_id" uuid,
	"to_address" text NOT NULL,
	"subject" text NOT NULL,
	"html" text NOT NULL,
	"text" text NOT NULL,
	"headers" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"idempotency_key" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"locked_until" timestamp with time zone,
	"last_error" text,
	"provider_message_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "email_queue_status_check" CHECK ("email_queue"."status" in ('pending', 'sent', 'failed', 'logged'))
);
--> statement-breakpoint
ALTER TABLE "message_notifications" ADD COLUMN "email_queue_id" uuid;--> statement-breakpoint
ALTER TABLE "email_queue" ADD CONSTRAINT "email_queue_recipient_id_users_id_fk" FOREIGN KEY ("recipient_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "email_queue_idempotency_key" ON "email_queue" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "email_queue_due_idx" ON "email_queue" USING btree ("next_attempt_at") WHERE "email_queue"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "email_queue_created_idx" ON "email_queue" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "message_notifications_last_sent_idx" ON "message_notifications" USING btree ("recipient_id","thread_id","sent_at") WHERE "message_notifications"."status" = 'sent';