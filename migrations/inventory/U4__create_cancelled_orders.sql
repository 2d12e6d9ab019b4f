DROP TABLE cancelled_orders;
