-- Reservation expiry returns stock by itself (DESIGN 5): a procedure the
-- service calls on a timer. DELIMITER lets the body hold semicolons.
DELIMITER //
CREATE PROCEDURE release_expired_reservations()
BEGIN
    UPDATE inventory i
    JOIN reservations r ON r.product_id = i.product_id
    SET i.available_stock = i.available_stock + r.quantity,
        i.reserved_stock = i.reserved_stock - r.quantity,
        r.status = 'RELEASED'
    WHERE r.status = 'RESERVED' AND r.expires_at < CURRENT_TIMESTAMP;
END //
DELIMITER ;
