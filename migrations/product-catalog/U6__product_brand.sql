ALTER TABLE products DROP COLUMN brand;
