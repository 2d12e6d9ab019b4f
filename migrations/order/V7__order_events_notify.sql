-- Live order tracking (GET /ws/orders/{id}): every committed order_events row wakes the
-- followers of its order. NOTIFY is delivered at commit and dropped on rollback, so a
-- follower never reads a row before it is visible; the payload is only the order id (the
-- follower reads the rows themselves, after its last position). Expand only: a trigger
-- the running version does not notice.
CREATE OR REPLACE FUNCTION notify_order_event() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('order_events', NEW.order_id::text);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER order_events_notify
    AFTER INSERT ON order_events
    FOR EACH ROW EXECUTE FUNCTION notify_order_event();
