-- give_stock.lua: the second step of a move between buckets (see take_stock.lua): adds the
-- taken units to the recipient, once per move id however often it runs, since a move can be
-- finished by its caller, by a retry and by any instance that finds its record.
--
-- KEYS[1] recipient's sale hash, KEYS[2] recipient's moves-in hash (move id -> quantity)
-- ARGV[1] move id, ARGV[2] quantity
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
redis.call('HINCRBY', KEYS[1], 'stock_total', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'stock_left', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'refills', 1)
return 1
