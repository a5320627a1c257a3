-- load_sale.lua: makes a sale sellable in Redis, for a new sale (create) or one restored from
-- Postgres (preload, reconcile). It never wipes anything: a retried create or a preload racing
-- live traffic finds the sale live and keeps it.
--
-- KEYS[1] sale hash, KEYS[2] buyers hash, KEYS[3] idempotency hash, KEYS[4] pending hash,
-- KEYS[5] orders stream, KEYS[6] the index of sales the persisters read, KEYS[7] buyers staged
-- for this load (buyer -> quantity taken, as Postgres and the pending orders say; deleted here)
-- ARGV[1] sale id, ARGV[2] name, ARGV[3] stock_total (Postgres's), ARGV[4] per_user_limit,
-- ARGV[5] starts_at ms, ARGV[6] ends_at ms or '', ARGV[7] stock_left, ARGV[8] reserved,
-- ARGV[9] consumer group, ARGV[10] '1' if Postgres records the sale as paused
--
-- A live sale keeps its counters and its buyers; its definition is refreshed, and its stock_total is only
-- raised to Postgres's (stock_left by as much, as a restock would), never lowered, so
-- stock_total == stock_left + reserved holds. A sale that is not live gets its counters, the
-- stream's group, and the staged buyers (each keeps the larger of its staged and surviving
-- count), all in this one step, so no buyer's count can be overwritten once the sale sells. Either way the sale is in the index, in the same step that makes it sellable,
-- so the persisters always read a sale that can sell.
-- A live sale is never unpaused nor reopened here: its pause and an earlier end set by an
-- operator (see end_sale.lua) win over a Postgres copy that has not caught up yet.
-- Returns 'loaded' when counters were written, 'kept' when a live sale kept its own.
redis.call('SADD', KEYS[6], ARGV[1])
local staged = redis.call('HGETALL', KEYS[7])
redis.call('DEL', KEYS[7])
local definition = {'name', ARGV[2], 'per_user_limit', ARGV[4], 'starts_at', ARGV[5],
  'ends_at', ARGV[6]}
if ARGV[10] == '1' then
  table.insert(definition, 'paused')
  table.insert(definition, '1')
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  local live_end = redis.call('HGET', KEYS[1], 'ends_at')
  if live_end and live_end ~= '' and (ARGV[6] == '' or tonumber(live_end) < tonumber(ARGV[6])) then
    definition[8] = live_end
  end
  redis.call('HSET', KEYS[1], unpack(definition))
  local raise = tonumber(ARGV[3]) - tonumber(redis.call('HGET', KEYS[1], 'stock_total'))
  if raise > 0 then
    redis.call('HINCRBY', KEYS[1], 'stock_total', raise)
    redis.call('HINCRBY', KEYS[1], 'stock_left', raise)
  end
  return 'kept'
end
for i = 1, #staged, 2 do
  local current = tonumber(redis.call('HGET', KEYS[2], staged[i]) or '0')
  if tonumber(staged[i + 1]) > current then
    redis.call('HSET', KEYS[2], staged[i], staged[i + 1])
  end
end
-- The stream may have survived the sale hash; its group then already exists.
local created = redis.pcall('XGROUP', 'CREATE', KEYS[5], ARGV[9], '0', 'MKSTREAM')
if type(created) == 'table' and created.err and not string.find(created.err, 'BUSYGROUP') then
  return redis.error_reply(created.err)
end
redis.call('HSET', KEYS[1], 'stock_total', ARGV[3], 'stock_left', ARGV[7], 'reserved', ARGV[8],
  unpack(definition))
return 'loaded'
