-- OrderCancelled and OrderCreated travel on different topics, so inventory may
-- hear of a cancellation before the order itself: a release that finds no
-- reservation leaves a tombstone here, and a later reservation for that order
-- is refused instead of holding stock until it expires.
CREATE TABLE cancelled_orders (
    order_id BIGINT PRIMARY KEY,
    reason VARCHAR(500) NOT NULL,
    created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
