-- Event-sourced orders (docs/event-sourcing.md): each order's order_events rows become its
-- stream, versioned 1, 2, ... (unique per order: the optimistic concurrency guard), with the
-- schema version of each stored event, the writing transaction's id (for projections), and
-- a snapshots table. Expand only: a writer that leaves `version` out (the previous version
-- of the service, during a release) gets the next one from the trigger, under the order
-- row lock that version takes.
ALTER TABLE order_events ADD COLUMN version INTEGER;
ALTER TABLE order_events ADD COLUMN schema_version SMALLINT NOT NULL DEFAULT 1;
ALTER TABLE order_events ADD COLUMN tx_id xid8 NOT NULL DEFAULT pg_current_xact_id();
UPDATE order_events e SET version = n.v
FROM (
    SELECT id, row_number() OVER (PARTITION BY order_id ORDER BY id) AS v FROM order_events
) n
WHERE e.id = n.id;
-- No NOT NULL constraint (the expand phase refuses one: a running version could be left
-- unable to write); the trigger below gives every new row a version, and the rows above
-- have theirs.
CREATE UNIQUE INDEX order_events_stream_version ON order_events (order_id, version);

CREATE OR REPLACE FUNCTION order_events_next_version() RETURNS trigger AS $$
BEGIN
    IF NEW.version IS NULL THEN
        SELECT coalesce(max(version), 0) + 1 INTO NEW.version
        FROM order_events WHERE order_id = NEW.order_id;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER order_events_version
    BEFORE INSERT ON order_events
    FOR EACH ROW EXECUTE FUNCTION order_events_next_version();

CREATE TABLE order_snapshots (
    order_id BIGINT PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    schema_version SMALLINT NOT NULL,
    state JSONB NOT NULL,
    taken_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every order placed before: a snapshot of its row at its stream's current version, so it
-- loads to exactly its row (today's events lack the deadline, address, trace and payment
-- id) and a PENDING one carries on with its saga. The shape is order.domain.history's.
INSERT INTO order_snapshots (order_id, version, schema_version, state)
SELECT
    o.id,
    coalesce((SELECT max(e.version) FROM order_events e WHERE e.order_id = o.id), 0),
    1,
    jsonb_build_object(
        'id', o.id,
        'user_id', o.user_id,
        'order_number', o.order_number,
        'items', (
            SELECT coalesce(
                jsonb_agg(
                    jsonb_build_object(
                        'product_id', i.product_id, 'quantity', i.quantity,
                        'price', i.price::text
                    ) ORDER BY i.id
                ),
                '[]'::jsonb
            )
            FROM order_items i WHERE i.order_id = o.id
        ),
        'currency', trim(o.currency),
        'total_amount', o.total_amount::text,
        'status', o.status,
        'saga_state', o.saga_state,
        'saga_deadline', o.saga_deadline,
        'payment_method_id', o.payment_method_id,
        'shipping_address', o.shipping_address,
        'payment_id', o.payment_id,
        'cancel_reason', o.cancel_reason,
        'trace_id', o.trace_id,
        'created_at', o.created_at
    )
FROM orders o;
