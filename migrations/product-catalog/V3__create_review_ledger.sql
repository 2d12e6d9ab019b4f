-- Reviews live in Mongo, the outbox in MySQL: two stores, no shared transaction.
-- A review is first recorded here, in the same MySQL transaction as its ReviewAdded
-- outbox row; the Mongo document (keyed by the same id, so rewriting it is harmless)
-- is written next, and `stored_at` says it was. Rows left without `stored_at` (a crash
-- between the two writes) are copied to Mongo again by the service.
CREATE TABLE reviews (
    id CHAR(36) PRIMARY KEY,
    product_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    rating TINYINT NOT NULL,
    comment TEXT NULL,
    created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    stored_at TIMESTAMP(6) NULL,
    CONSTRAINT ck_reviews_rating CHECK (rating BETWEEN 1 AND 5),
    INDEX idx_reviews_unstored (stored_at, created_at),
    INDEX idx_reviews_product (product_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
