-- Admin operations applied to a sale, by the Idempotency-Key the caller sent, so that a restock
-- retried after an ambiguous failure is applied once.
CREATE TABLE sale_operations (
    sale_id       TEXT NOT NULL REFERENCES sales (id),
    operation_key TEXT NOT NULL,
    quantity      BIGINT NOT NULL,
    applied_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (sale_id, operation_key)
);
