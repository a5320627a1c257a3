-- restock.lua: brings a live sale's stock_total up to Postgres's, moving stock_left by as much.
--
-- KEYS[1] sale hash
-- ARGV[1] the sale's stock_total in Postgres after the restock (a bucket's: its share of it)
--
-- The total is absolute and only ever raised, so the call is idempotent: a retry, a call that
-- timed out and ran anyway, or two restocks arriving out of order all leave Redis at the
-- highest total Postgres has recorded, never above it.
-- Returns the new stock_left, or -1 when the sale is not loaded in Redis (a later preload
-- picks the new total up from Postgres).
if redis.call('EXISTS', KEYS[1]) == 0 then
  return -1
end
-- A bucket of a split sale (see take_stock.lua) compares its `granted` share instead: moves
-- change its stock_total, never its share.
local base = 'stock_total'
if redis.call('HEXISTS', KEYS[1], 'granted') == 1 then
  base = 'granted'
end
local raise = tonumber(ARGV[1]) - tonumber(redis.call('HGET', KEYS[1], base))
if raise > 0 then
  if base == 'granted' then
    redis.call('HINCRBY', KEYS[1], 'granted', raise)
  end
  redis.call('HINCRBY', KEYS[1], 'stock_total', raise)
  redis.call('HINCRBY', KEYS[1], 'refills', 1)
  return redis.call('HINCRBY', KEYS[1], 'stock_left', raise)
end
return tonumber(redis.call('HGET', KEYS[1], 'stock_left'))
