-- Plan 6.1 inventory service (MySQL/MariaDB). The stock columns follow
-- DESIGN 5's invariant available + reserved + sold = stocked.
CREATE TABLE inventory (
    id BIGINT PRIMARY KEY AUTO_INCREMENT,
    product_id BIGINT NOT NULL,
    available_stock INT NOT NULL DEFAULT 0,
    reserved_stock INT NOT NULL DEFAULT 0,
    sold_stock INT NOT NULL DEFAULT 0,
    total_stock INT AS (available_stock + reserved_stock) STORED,
    reorder_level INT NOT NULL DEFAULT 10,
    last_updated TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    CONSTRAINT uq_inventory_product UNIQUE (product_id),
    CONSTRAINT ck_inventory_non_negative
        CHECK (available_stock >= 0 AND reserved_stock >= 0 AND sold_stock >= 0),
    INDEX idx_inventory_available (available_stock)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE reservations (
    id BIGINT PRIMARY KEY AUTO_INCREMENT,
    reservation_id VARCHAR(255) NOT NULL,
    product_id BIGINT NOT NULL,
    order_id BIGINT NOT NULL,
    quantity INT NOT NULL,
    status VARCHAR(50) NOT NULL,
    expires_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_reservations_id UNIQUE (reservation_id),
    CONSTRAINT fk_reservations_product FOREIGN KEY (product_id) REFERENCES inventory (product_id),
    CONSTRAINT ck_reservations_quantity CHECK (quantity > 0),
    CONSTRAINT ck_reservations_status CHECK (status IN ('RESERVED', 'CONFIRMED', 'RELEASED')),
    INDEX idx_reservations_order (order_id),
    INDEX idx_reservations_status (status),
    INDEX idx_reservations_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
