-- The read models' seeds (docs/event-sourcing.md, "Orders from before the event store"):
-- every order that existed before the event store, as the read models first see it. V8
-- took a snapshot of each from its row; their order_events may be partial (none, or v1
-- payloads), so the projections start them from here, not from their events. Frozen in
-- this table because a snapshot is a cache (replaced as streams grow, deletable) while a
-- rebuild must seed exactly what the live generation seeded. A seeded order's events up to
-- `version` are covered by its seed and skipped; its later events update the seeded rows.
-- Expand only: a new table the running version does not use.
CREATE TABLE order_read_seeds (
    order_id BIGINT PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    user_id BIGINT NOT NULL,
    order_number VARCHAR(50) NOT NULL,
    status VARCHAR(50) NOT NULL,
    total_amount NUMERIC(12,2) NOT NULL,
    currency VARCHAR(3) NOT NULL,
    lines JSONB NOT NULL,      -- [{productId, quantity, price}]: the projections' shape
    timeline JSONB NOT NULL,   -- its events up to `version`, then a "Migrated" entry
    cancel_reason TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    paid_at TIMESTAMPTZ        -- when its sales count; NULL: not counted (not paid)
);

INSERT INTO order_read_seeds
WITH snapshotted AS (
    SELECT
        s.order_id, s.version, s.state, s.taken_at, o.created_at, o.updated_at,
        -- Its stream moved on since the snapshot (the row is no longer what it saw).
        EXISTS (
            SELECT 1 FROM order_events e WHERE e.order_id = s.order_id AND e.version > s.version
        ) AS moved_on,
        (SELECT min(e.created_at) FROM order_events e
         WHERE e.order_id = s.order_id AND e.event_type = 'OrderPaid'
           AND e.version <= s.version) AS paid_event_at
    FROM order_snapshots s JOIN orders o ON o.id = s.order_id
)
SELECT
    sn.order_id,
    sn.version,
    (sn.state ->> 'user_id')::bigint,
    sn.state ->> 'order_number',
    sn.state ->> 'status',
    (sn.state ->> 'total_amount')::numeric,
    sn.state ->> 'currency',
    (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'productId', (i ->> 'product_id')::bigint,
                'quantity', (i ->> 'quantity')::integer,
                'price', i ->> 'price') ORDER BY n), '[]'::jsonb)
     FROM jsonb_array_elements(sn.state -> 'items') WITH ORDINALITY AS x (i, n)),
    (SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                'event', e.event_type,
                'version', e.version,
                'at', e.created_at,
                'status', CASE e.event_type
                    WHEN 'OrderCreated' THEN 'PENDING' WHEN 'OrderPaid' THEN 'PAID'
                    WHEN 'OrderCancelled' THEN 'CANCELLED' WHEN 'OrderShipped' THEN 'SHIPPED'
                END,
                'reason', CASE WHEN e.event_type = 'OrderCancelled'
                    THEN e.event_data ->> 'reason' END)) ORDER BY e.version), '[]'::jsonb)
     FROM order_events e WHERE e.order_id = sn.order_id AND e.version <= sn.version)
    || jsonb_build_array(jsonb_build_object(
        'event', 'Migrated', 'version', sn.version, 'status', sn.state ->> 'status',
        'at', CASE WHEN sn.moved_on THEN sn.taken_at ELSE sn.updated_at END)),
    sn.state ->> 'cancel_reason',
    sn.created_at,
    CASE WHEN sn.moved_on THEN sn.taken_at ELSE sn.updated_at END,
    -- Paid: when its history recorded the payment; else, for a PAID order whose row is
    -- as the snapshot saw it, the row's last update (the CRUD saga's payment was it); else
    -- (shipped, delivered, or changed since) the day it was placed.
    CASE WHEN sn.state ->> 'status' IN ('PAID', 'SHIPPED', 'DELIVERED') THEN coalesce(
        sn.paid_event_at,
        CASE WHEN sn.state ->> 'status' = 'PAID' AND NOT sn.moved_on THEN sn.updated_at END,
        sn.created_at)
    END
FROM snapshotted sn;
