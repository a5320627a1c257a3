-- restock.lua: adds stock to a live sale; the total and the sellable counter move together.
--
-- KEYS[1] sale hash
-- ARGV[1] quantity to add (>= 1)
--
-- Returns the new stock_left, or -1 when the sale is not loaded in Redis (a later preload
-- picks the new total up from Postgres).
if redis.call('EXISTS', KEYS[1]) == 0 then
  return -1
end
redis.call('HINCRBY', KEYS[1], 'stock_total', ARGV[1])
return redis.call('HINCRBY', KEYS[1], 'stock_left', ARGV[1])
