-- The read-model tables of every generation go with their tracking records.
DO $$
DECLARE t text;
BEGIN
    FOR t IN SELECT tablename FROM pg_tables
             WHERE schemaname = current_schema() AND tablename ~ '^rm_.*_g[0-9]+$'
    LOOP
        EXECUTE format('DROP TABLE IF EXISTS %I', t);
    END LOOP;
END $$;
DROP INDEX IF EXISTS order_events_log_position;
DROP TABLE IF EXISTS projection_tracking;
DROP TABLE IF EXISTS projection_current;
