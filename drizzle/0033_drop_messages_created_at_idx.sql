-- Added for a time window in search (0015) that was taken out again: nothing reads it, every
-- send wrote it.
DROP INDEX "messages_created_at_idx";
