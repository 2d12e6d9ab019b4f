-- Issue 17: the brand shoppers filter and facet search by. Nullable and without a default
-- (expand only): existing rows have no brand, and the running catalog, which does not
-- know the column, keeps inserting and updating rows without it.
ALTER TABLE products ADD COLUMN brand VARCHAR(100) NULL;
