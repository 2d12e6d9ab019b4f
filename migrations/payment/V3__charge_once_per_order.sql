-- Issue 5 (saga): exactly one payment per order, however often the triggering event
-- arrives; the decline code of a failed charge; refunds recorded once per payment; and
-- the orders known to be cancelled, so a late InventoryReserved is not charged.
CREATE UNIQUE INDEX uq_payments_order_id ON payments (order_id);
ALTER TABLE payments ADD COLUMN decline_code VARCHAR(100);
ALTER TABLE payments ADD COLUMN provider VARCHAR(50);
CREATE UNIQUE INDEX uq_transactions_payment_type ON transactions (payment_id, transaction_type);

CREATE TABLE order_cancellations (
    order_id BIGINT PRIMARY KEY,
    reason TEXT,
    cancelled_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
