DROP INDEX idx_outbox_unpublished;
ALTER TABLE outbox DROP COLUMN seq;
CREATE INDEX idx_outbox_unpublished ON outbox (created_at) WHERE published_at IS NULL;
