-- return_stock.lua: gives an expired or cancelled hold's units back to the sale (the buyer's
-- home bucket, for a split sale) and to the buyer's allowance, once per order however often it
-- runs: a sweeper that died after Postgres recorded the end and before Postgres recorded the
-- return runs it again, and two sweepers may both run it.
--
-- KEYS[1] sale hash, KEYS[2] buyers hash, KEYS[3] returns hash (order id -> quantity)
-- ARGV[1] order id, ARGV[2] user id, ARGV[3] quantity
--
-- Returns 1 when the units came back now, 2 when an earlier call gave them back, 0 when Redis
-- does not hold the sale: nothing is written then, and a restore from Postgres counts the units as taken until
-- they are returned into the restored sale.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
if redis.call('HSETNX', KEYS[3], ARGV[1], ARGV[3]) == 0 then
  return 2
end
local quantity = tonumber(ARGV[3])
redis.call('HINCRBY', KEYS[1], 'stock_left', quantity)
redis.call('HINCRBY', KEYS[1], 'reserved', -quantity)
redis.call('HINCRBY', KEYS[1], 'refills', 1)
if redis.call('HINCRBY', KEYS[2], ARGV[2], -quantity) <= 0 then
  redis.call('HDEL', KEYS[2], ARGV[2])
end
return 1
