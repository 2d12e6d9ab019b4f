-- POST /api/orders with an Idempotency-Key header returns the first result for a
-- repeated key (per user); the request's hash tells a replay from a key reused for
-- a different order. payment_method_id travels to payment in OrderCreated.
CREATE TABLE idempotency_keys (
    user_id BIGINT NOT NULL,
    idempotency_key VARCHAR(255) NOT NULL,
    request_hash CHAR(64) NOT NULL,
    order_id BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, idempotency_key)
);
ALTER TABLE orders ADD COLUMN payment_method_id VARCHAR(255);
