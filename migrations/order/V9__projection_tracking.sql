-- Asynchronous read models of the order log (docs/event-sourcing.md, step 3): each
-- projection's serving generation, and each generation's position in the log, moved in the
-- same transaction as the batch it applied (exactly once). The read-model tables
-- themselves (rm_*_g<N>) belong to the projections, which create and drop them per
-- generation. Expand only: new tables and an index the running version does not use.
CREATE TABLE projection_current (
    name VARCHAR(100) PRIMARY KEY,
    generation INTEGER NOT NULL,
    switched_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE projection_tracking (
    name VARCHAR(100) NOT NULL,
    generation INTEGER NOT NULL,
    last_tx xid8 NOT NULL DEFAULT '0',
    last_id BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    retired_at TIMESTAMPTZ,
    PRIMARY KEY (name, generation)
);

-- The projections read the log in commit order: WHERE (tx_id, id) > (...) ORDER BY tx_id, id.
CREATE INDEX order_events_log_position ON order_events (tx_id, id);
