-- Idempotency keys belong to their buyer: the same key used by two buyers makes two orders,
-- and one buyer's key neither blocks nor reveals another's. The persister now stores the key
-- of every keyed order too, so a sale Redis lost can be restored with its keys.
DROP INDEX orders_by_sale_and_idempotency_key;

CREATE UNIQUE INDEX orders_by_sale_user_and_idempotency_key
    ON orders (sale_id, user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
