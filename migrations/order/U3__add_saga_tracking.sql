DROP INDEX idx_orders_saga_deadline;
ALTER TABLE orders
    DROP COLUMN saga_state,
    DROP COLUMN saga_deadline,
    DROP COLUMN cancel_reason;
