ALTER TABLE orders DROP COLUMN payment_method_id;
DROP TABLE idempotency_keys;
