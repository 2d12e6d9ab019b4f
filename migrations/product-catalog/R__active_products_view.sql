CREATE OR REPLACE VIEW active_products AS
SELECT id, sku, name, category, price, currency, image_url, updated_at
FROM products
WHERE active = TRUE;
