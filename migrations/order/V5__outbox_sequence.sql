-- The relay publishes in the order rows were written: a number drawn when the row is
-- inserted, after the handler locked its aggregate. created_at (now(): when the
-- transaction STARTED) could put an event behind one written after it: a transaction that
-- began first, then waited on the lock the other held, got the earlier time.
ALTER TABLE outbox ADD COLUMN seq BIGINT GENERATED ALWAYS AS IDENTITY;
DROP INDEX idx_outbox_unpublished;
CREATE INDEX idx_outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
