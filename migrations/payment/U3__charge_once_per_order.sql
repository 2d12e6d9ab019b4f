DROP TABLE order_cancellations;
DROP INDEX uq_transactions_payment_type;
ALTER TABLE payments DROP COLUMN provider;
ALTER TABLE payments DROP COLUMN decline_code;
DROP INDEX uq_payments_order_id;
