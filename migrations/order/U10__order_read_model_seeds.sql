-- The read models' seeds go; the projections' tables keep what they were seeded with.
DROP TABLE IF EXISTS order_read_seeds;
