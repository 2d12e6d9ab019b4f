ALTER TABLE outbox
    DROP INDEX idx_outbox_unpublished,
    DROP COLUMN seq,
    ADD INDEX idx_outbox_unpublished (published_at, created_at);
