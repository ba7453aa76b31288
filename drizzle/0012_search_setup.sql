-- Search (src/lib/server/messaging/search.ts). pg_trgm and unaccent are contrib extensions that
-- Postgres lets a database owner create (they are "trusted"); PGlite loads them in
-- src/lib/server/db/index.ts (PGLITE_EXTENSIONS). A role that may not create them needs a
-- superuser to run these two statements first (see README, "Search").
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE EXTENSION IF NOT EXISTS unaccent;
--> statement-breakpoint
-- Messages are indexed with `simple` (lower case, no stemming, no stop words: any language is
-- found by its words) after `unaccent` (cafe finds café), for every token type that can hold
-- letters outside ASCII; the ASCII-only types need no unaccenting.
CREATE TEXT SEARCH CONFIGURATION parley_search (COPY = pg_catalog.simple);
--> statement-breakpoint
ALTER TEXT SEARCH CONFIGURATION parley_search
	ALTER MAPPING FOR word, numword, hword, hword_part, numhword, hword_numpart WITH unaccent, simple;
