DROP TRIGGER IF EXISTS order_events_notify ON order_events;
DROP FUNCTION IF EXISTS notify_order_event();
