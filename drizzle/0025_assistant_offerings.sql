CREATE TABLE "assistant_offering_settings" (
	"offering_id" uuid PRIMARY KEY NOT NULL,
	"mode" text,
	"instructions" text DEFAULT '' NOT NULL,
	"facts" text DEFAULT '' NOT NULL,
	"delay_minutes" integer,
	"enabled_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "assistant_offering_settings_mode_check" CHECK ("assistant_offering_settings"."mode" in ('off', 'draft', 'auto')),
	CONSTRAINT "assistant_offering_settings_delay_check" CHECK ("assistant_offering_settings"."delay_minutes" between 0 and 1440)
);
--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "assistant_language" text;--> statement-breakpoint
ALTER TABLE "assistant_offering_settings" ADD CONSTRAINT "assistant_offering_settings_offering_id_offerings_id_fk" FOREIGN KEY ("offering_id") REFERENCES "public"."offerings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "assistant_offering_settings_on_idx" ON "assistant_offering_settings" USING btree ("offering_id") WHERE "assistant_offering_settings"."mode" <> 'off';