-- The sweeper's two questions, each answered from a small partial index: which holds are due,
-- and which ended holds have not given their units back yet. (Apart from the migration that
-- adds the statuses: Postgres will not use an enum value in the transaction that added it.)
CREATE INDEX orders_holds_due ON orders (expires_at) WHERE status = 'awaiting_payment';
CREATE INDEX orders_not_returned ON orders (sale_id)
    WHERE status IN ('expired', 'cancelled') AND returned_at IS NULL;
