-- DESIGN 5: the order service tracks each saga's state and deadline.
ALTER TABLE orders
    ADD COLUMN saga_state VARCHAR(50) NOT NULL DEFAULT 'STARTED',
    ADD COLUMN saga_deadline TIMESTAMPTZ,
    ADD COLUMN cancel_reason TEXT;
CREATE INDEX idx_orders_saga_deadline ON orders (saga_deadline)
    WHERE status = 'PENDING';
