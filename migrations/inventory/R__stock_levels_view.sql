CREATE OR REPLACE VIEW stock_levels AS
SELECT product_id, available_stock, reserved_stock, sold_stock,
       available_stock + reserved_stock + sold_stock AS stocked,
       available_stock <= reorder_level AS needs_reorder
FROM inventory;
