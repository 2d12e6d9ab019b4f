ALTER TABLE products DROP COLUMN version;
