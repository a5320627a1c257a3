-- take_stock.lua: the first step of moving stock between two buckets of one sale: takes it from
-- the donor and records the move on the donor, in one step. The record stays until the
-- recipient has the stock (give_stock.lua, then HDEL), so a caller that dies or times out in
-- between leaves a move anyone can finish; until then the units are in no bucket, which can
-- only ever undersell, never oversell.
--
-- KEYS[1] donor's sale hash, KEYS[2] donor's moves-out hash (move id -> "recipient \t quantity")
-- ARGV[1] move id (new per move), ARGV[2] recipient bucket, ARGV[3] quantity the recipient needs
--
-- Takes what is needed, or half of what the donor has if that is more (so a bucket buyers keep
-- emptying gets a share that lasts, and moves stay few), never more than the donor has.
-- Returns the quantity taken; 0 (nothing written) when the donor has nothing or is not loaded.
local left = tonumber(redis.call('HGET', KEYS[1], 'stock_left') or '0')
local take = math.min(left, math.max(tonumber(ARGV[3]), math.ceil(left / 2)))
if take <= 0 then
  return 0
end
-- The record first: a refused write (out of memory) then fails before any stock moved.
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. '\t' .. take)
redis.call('HINCRBY', KEYS[1], 'stock_left', -take)
redis.call('HINCRBY', KEYS[1], 'stock_total', -take)
return take
