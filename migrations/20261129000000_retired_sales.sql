-- A sale whose Redis keys were let go (see lua/retire_sale.lua): ended, every order persisted,
-- no hold left to settle. Its reads and idempotent replays are answered from Postgres. A load
-- into Redis again (preload, a retried create) clears it.
ALTER TABLE sales ADD COLUMN retired_at TIMESTAMPTZ;

-- The retirer's question, "which ended sales are still in Redis", reads only those.
CREATE INDEX sales_to_retire ON sales (ends_at) WHERE retired_at IS NULL AND ends_at IS NOT NULL;
