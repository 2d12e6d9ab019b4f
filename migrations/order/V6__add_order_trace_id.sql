-- The trace the order was placed in (W3C trace id, 32 hex digits), so an order id is
-- enough to find its trace in Zipkin (`ecomctl trace ORDER_ID`). Expand only: a nullable
-- column, which the running version ignores and orders placed before it leave empty.
ALTER TABLE orders ADD COLUMN trace_id CHAR(32);
