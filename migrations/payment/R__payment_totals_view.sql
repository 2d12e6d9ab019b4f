CREATE OR REPLACE VIEW payment_totals AS
SELECT p.order_id,
       SUM(CASE WHEN t.transaction_type = 'CHARGE' AND t.status = 'SUCCEEDED' THEN t.amount ELSE 0 END)
           AS charged,
       SUM(CASE WHEN t.transaction_type = 'REFUND' AND t.status = 'SUCCEEDED' THEN t.amount ELSE 0 END)
           AS refunded
FROM payments p
LEFT JOIN transactions t ON t.payment_id = p.id
GROUP BY p.order_id;
