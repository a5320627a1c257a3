-- How many Redis stock counters a sale's stock is split over (see `src/domain/buckets.rs`),
-- fixed at creation: a restore must split it the same way. Existing sales were never split.
ALTER TABLE sales ADD COLUMN buckets SMALLINT NOT NULL DEFAULT 1 CHECK (buckets BETWEEN 1 AND 64);
