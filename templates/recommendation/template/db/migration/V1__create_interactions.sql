-- The recommendation service's store: what it learns from (paid order lines, reviews),
-- the stock it must respect, and the idempotent inbox of the events it consumed.
CREATE TABLE order_lines (
    order_id BIGINT NOT NULL,
    product_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    PRIMARY KEY (order_id, product_id)
);
CREATE INDEX idx_order_lines_user ON order_lines (user_id);

-- OrderPaid carries no lines: a paid order counts once its OrderCreated lines are here,
-- whichever of the two events arrived first.
CREATE TABLE paid_orders (
    order_id BIGINT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    paid_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE reviews (
    user_id BIGINT NOT NULL,
    product_id BIGINT NOT NULL,
    rating SMALLINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    PRIMARY KEY (user_id, product_id)
);

-- The latest InventoryUpdated per product (by the event's time; an older one is ignored).
CREATE TABLE product_stock (
    product_id BIGINT PRIMARY KEY,
    available INTEGER NOT NULL,
    reported_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_product_stock_sold_out ON product_stock (product_id) WHERE available <= 0;

CREATE TABLE inbox (
    event_id UUID NOT NULL,
    consumer VARCHAR(100) NOT NULL,
    event_type VARCHAR(100) NOT NULL,
    handled_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, consumer)
);
