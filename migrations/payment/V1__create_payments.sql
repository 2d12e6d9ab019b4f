-- Plan 6.1 payment service, in PostgreSQL (indexes as separate statements).
CREATE TABLE payments (
    id BIGSERIAL PRIMARY KEY,
    payment_id VARCHAR(255) NOT NULL UNIQUE,
    order_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    amount NUMERIC(10,2) NOT NULL CHECK (amount >= 0),
    currency VARCHAR(3) NOT NULL DEFAULT 'USD',
    status VARCHAR(50) NOT NULL
        CHECK (status IN ('PENDING', 'COMPLETED', 'FAILED', 'REFUNDED')),
    payment_method VARCHAR(50),
    stripe_payment_intent_id VARCHAR(255),
    error_message TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_payments_order_id ON payments (order_id);
CREATE INDEX idx_payments_user_id ON payments (user_id);
CREATE INDEX idx_payments_status ON payments (status);
CREATE INDEX idx_payments_stripe_intent ON payments (stripe_payment_intent_id);
-- DESIGN 5 invariant: at most one successful charge per order.
CREATE UNIQUE INDEX uq_payments_completed_order ON payments (order_id)
    WHERE status = 'COMPLETED';

CREATE TABLE transactions (
    id BIGSERIAL PRIMARY KEY,
    payment_id BIGINT NOT NULL REFERENCES payments (id),
    transaction_type VARCHAR(50) NOT NULL CHECK (transaction_type IN ('CHARGE', 'REFUND')),
    amount NUMERIC(10,2) NOT NULL,
    transaction_id VARCHAR(255),
    status VARCHAR(50) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_transactions_payment_id ON transactions (payment_id);
CREATE INDEX idx_transactions_type ON transactions (transaction_type);
