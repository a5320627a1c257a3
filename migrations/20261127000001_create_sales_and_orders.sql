-- Sales and the orders persisted from their Redis streams.
--
-- Postgres is the last line of defence against overselling: `sold` counts the quantity of
-- confirmed orders and can never pass `stock_total`, whatever Redis did.
CREATE TABLE sales (
    id             TEXT PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{1,64}$'),
    name           TEXT NOT NULL DEFAULT '' CHECK (char_length(name) <= 200),
    stock_total    BIGINT NOT NULL CHECK (stock_total BETWEEN 0 AND 1000000000),
    per_user_limit INTEGER NOT NULL CHECK (per_user_limit BETWEEN 1 AND 1000),
    starts_at      TIMESTAMPTZ NOT NULL,
    ends_at        TIMESTAMPTZ CHECK (ends_at > starts_at),
    sold           BIGINT NOT NULL DEFAULT 0 CHECK (sold >= 0),
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT sold_within_stock CHECK (sold <= stock_total)
);

CREATE TYPE order_status AS ENUM ('confirmed', 'rejected');

CREATE TABLE orders (
    order_id     UUID PRIMARY KEY,
    sale_id      TEXT NOT NULL REFERENCES sales (id),
    user_id      TEXT NOT NULL,
    quantity     INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
    status       order_status NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    persisted_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX orders_by_sale_and_user ON orders (sale_id, user_id);
