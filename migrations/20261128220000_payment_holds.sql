-- Payment holds: a sale with a payment window sells holds. An order of such a sale is
-- `awaiting_payment` in Postgres until it is `paid`, or `expired` at `expires_at`, or
-- `cancelled` by its buyer; an expired or cancelled order gives its units back to the sale's
-- stock in Redis once, and `returned_at` records that it did (a sweeper that died between the
-- two steps finds it NULL and returns it then; the Redis return is keyed by order id).
--
-- The checks are added NOT VALID: every existing row holds NULL, which passes them, and
-- validating would scan the whole orders table under an exclusive lock.
ALTER TABLE sales
    ADD COLUMN payment_window_s INTEGER,
    ADD CONSTRAINT payment_window_in_range
        CHECK (payment_window_s BETWEEN 10 AND 86400) NOT VALID;

ALTER TYPE order_status ADD VALUE 'awaiting_payment';
ALTER TYPE order_status ADD VALUE 'paid';
ALTER TYPE order_status ADD VALUE 'expired';
ALTER TYPE order_status ADD VALUE 'cancelled';

ALTER TABLE orders
    ADD COLUMN expires_at TIMESTAMPTZ,
    ADD COLUMN payment_ref TEXT,
    ADD COLUMN returned_at TIMESTAMPTZ,
    ADD CONSTRAINT payment_ref_length
        CHECK (char_length(payment_ref) BETWEEN 1 AND 128) NOT VALID;
