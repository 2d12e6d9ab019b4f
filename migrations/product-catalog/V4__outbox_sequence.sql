-- The relay publishes in the order rows were written: a number drawn when the row is
-- inserted (after the handler locked its aggregate), independent of any clock.
ALTER TABLE outbox
    ADD COLUMN seq BIGINT NOT NULL AUTO_INCREMENT UNIQUE,
    DROP INDEX idx_outbox_unpublished,
    ADD INDEX idx_outbox_unpublished (published_at, seq);
