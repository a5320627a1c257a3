-- The classic Postgres engines write orders synchronously and keep the client's
-- Idempotency-Key on the order itself (the Redis engine keeps it in Redis).
ALTER TABLE orders ADD COLUMN idempotency_key TEXT;

CREATE UNIQUE INDEX orders_by_sale_and_idempotency_key
    ON orders (sale_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
