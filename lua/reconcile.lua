-- reconcile.lua: resets a live sale's counters to what Postgres and the pending orders allow.
--
-- KEYS[1] sale hash
-- ARGV[1] stock_total (Postgres's), or '' for a bucket of a split sale, which keeps its own
--         (what it holds; the buckets' totals are balanced against Postgres's apart), ARGV[2] units taken when the caller looked (confirmed +
--         rejected in Postgres + pending in Redis), ARGV[3] the sale's `reserved` when it looked
--
-- Orders accepted since the caller looked raised `reserved`; they are taken too, so the stock
-- made sellable is never more than stock_total minus everything taken.
-- Returns {old stock_left, new stock_left}, or {} when the sale is not in Redis.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {}
end
local total = tonumber(ARGV[1] ~= '' and ARGV[1] or redis.call('HGET', KEYS[1], 'stock_total'))
local since = tonumber(redis.call('HGET', KEYS[1], 'reserved')) - tonumber(ARGV[3])
local taken = tonumber(ARGV[2]) + math.max(since, 0)
local left = math.max(total - taken, 0)
local old = redis.call('HGET', KEYS[1], 'stock_left')
redis.call('HSET', KEYS[1], 'stock_total', total, 'stock_left', left, 'reserved', total - left)
if left > tonumber(old) then
  redis.call('HINCRBY', KEYS[1], 'refills', 1)
end
return {old, tostring(left)}
