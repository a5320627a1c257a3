-- give_stock.lua: the second step of a move between buckets (see take_stock.lua): adds the
-- taken units to the recipient, once per move id however often it runs, since a move can be
-- finished by its caller, by a retry and by any instance that finds its record.
--
-- KEYS[1] recipient's sale hash, KEYS[2] recipient's moves-in hash (move id -> quantity)
-- ARGV[1] move id, ARGV[2] quantity; negative when reconcile takes back a surplus Redis holds
--         beyond Postgres's stock_total (never more than the bucket has left)
--
-- `refills` counts every rise of stock_left, so a reader that sees it unchanged between two
-- looks knows no stock arrived in between (how "sold out" is proved across buckets).
-- Returns 1 when the recipient has the units (now or before), 0 when it is not loaded: the
-- move then stays open until it is (a restore loads it).
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then
  return 1
end
local quantity = tonumber(ARGV[2])
if quantity < 0 then
  quantity = -math.min(-quantity, tonumber(redis.call('HGET', KEYS[1], 'stock_left')))
end
redis.call('HINCRBY', KEYS[1], 'stock_total', quantity)
redis.call('HINCRBY', KEYS[1], 'stock_left', quantity)
if quantity > 0 then
  redis.call('HINCRBY', KEYS[1], 'refills', 1)
end
return 1
