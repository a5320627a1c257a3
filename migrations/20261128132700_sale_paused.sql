-- An operator's pause, kept in Postgres as well as in Redis so that a sale Redis lost is
-- restored paused (see `lua/load_sale.lua`); the reservation script reads Redis's copy.
ALTER TABLE sales ADD COLUMN paused BOOLEAN NOT NULL DEFAULT false;

