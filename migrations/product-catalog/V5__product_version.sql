-- Issue 17: every stored change raises the version, and ProductChanged carries it, so
-- search (and any other copy of the catalog) can refuse a late or repeated event.
ALTER TABLE products ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
