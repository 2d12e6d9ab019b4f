DROP TABLE IF EXISTS order_snapshots;
DROP TRIGGER IF EXISTS order_events_version ON order_events;
DROP FUNCTION IF EXISTS order_events_next_version();
DROP INDEX IF EXISTS order_events_stream_version;
ALTER TABLE order_events DROP COLUMN IF EXISTS tx_id;
ALTER TABLE order_events DROP COLUMN IF EXISTS schema_version;
ALTER TABLE order_events DROP COLUMN IF EXISTS version;
