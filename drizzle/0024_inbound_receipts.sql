CREATE TABLE "inbound_email_receipts" (
	"user_id" uuid NOT NULL,
	"dedupe_key" text NOT NULL,
	"message_id" uuid,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inbound_email_receipts_user_id_dedupe_key_pk" PRIMARY KEY("user_id","dedupe_key")
);
--> statement-breakpoint
ALTER TABLE "inbound_email_receipts" ADD CONSTRAINT "inbound_email_receipts_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inbound_email_receipts" ADD CONSTRAINT "inbound_email_receipts_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."messages"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "inbound_email_receipts_received_idx" ON "inbound_email_receipts" USING btree ("received_at");