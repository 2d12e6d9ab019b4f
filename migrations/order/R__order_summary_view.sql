CREATE OR REPLACE VIEW order_summary AS
SELECT o.id, o.order_number, o.user_id, o.status, o.total_amount, o.currency, o.created_at,
       COUNT(i.id) AS item_count,
       COALESCE(SUM(i.quantity), 0) AS unit_count
FROM orders o
LEFT JOIN order_items i ON i.order_id = o.id
GROUP BY o.id;
