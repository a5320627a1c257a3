-- One index answers both of the persister's questions about a buyer's orders: the per-user
-- guard's lookup by (sale_id, user_id), a prefix of it, and the uniqueness of a buyer's
-- idempotency key. Orders without a key hold NULL there, and NULLs never conflict in a unique
-- index, so they are as free as before. Measured with 300,000 rows (psql, one run each): keyed
-- orders insert in 4.4-4.8 s instead of 6.0-6.3 s (one index entry fewer per order), unkeyed
-- ones in the same time as with the two indexes.
CREATE UNIQUE INDEX orders_by_sale_user_and_key ON orders (sale_id, user_id, idempotency_key);
DROP INDEX orders_by_sale_user_and_idempotency_key;
DROP INDEX orders_by_sale_and_user;
