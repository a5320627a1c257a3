-- load_sale.lua: makes a sale sellable in Redis, for a new sale (create) or one restored from
-- Postgres (preload, reconcile). It never wipes anything: a retried create or a preload racing
-- live traffic finds the sale live and keeps it.
--
-- KEYS[1] sale hash, KEYS[2] buyers hash, KEYS[3] idempotency hash, KEYS[4] pending hash,
-- KEYS[5] orders stream, KEYS[6] buyers staged for this load (buyer -> quantity taken, as
-- Postgres and the pending orders say; deleted here). All in the sale's Redis Cluster slot: the
-- caller adds the sale to the persisters' index (another slot) before this runs, so the
-- persisters always read a sale that can sell.
-- ARGV[1] name, ARGV[2] stock_total (Postgres's), ARGV[3] per_user_limit, ARGV[4] starts_at ms,
-- ARGV[5] ends_at ms or '', ARGV[6] stock_left, ARGV[7] reserved, ARGV[8] consumer group,
-- ARGV[9] '1' if Postgres records the sale as paused, ARGV[10] the number of buckets the sale
-- is split over (see take_stock.lua); with more than one, this is one bucket: ARGV[2] is its
-- share of the sale's stock_total (kept as `granted`), and its stock_total is what it holds,
-- stock_left + reserved, since moves between buckets change it.
--
-- A live sale keeps its counters and its buyers; its definition is refreshed, and its stock_total is only
-- raised to Postgres's (stock_left by as much, as a restock would), never lowered, so
-- stock_total == stock_left + reserved holds. A sale that is not live gets its counters, the
-- stream's group, and the staged buyers (each keeps the larger of its staged and surviving
-- count), all in this one step, so no buyer's count can be overwritten once the sale sells.
-- A live sale is never unpaused nor reopened here: its pause and an earlier end set by an
-- operator (see end_sale.lua) win over a Postgres copy that has not caught up yet.
-- A sale retiring (see retire_sale.lua) that is loaded again stays: its keys lose their time
-- to live.
-- Returns 'loaded' when counters were written, 'kept' when a live sale kept its own.
for i = 1, 5 do
  redis.call('PERSIST', KEYS[i])
end
local staged = redis.call('HGETALL', KEYS[6])
redis.call('DEL', KEYS[6])
local definition = {'name', ARGV[1], 'per_user_limit', ARGV[3], 'starts_at', ARGV[4],
  'ends_at', ARGV[5]}
if ARGV[9] == '1' then
  table.insert(definition, 'paused')
  table.insert(definition, '1')
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  local live_end = redis.call('HGET', KEYS[1], 'ends_at')
  if live_end and live_end ~= '' and (ARGV[5] == '' or tonumber(live_end) < tonumber(ARGV[5])) then
    definition[8] = live_end
  end
  redis.call('HSET', KEYS[1], unpack(definition))
  local base = 'stock_total'
  if redis.call('HEXISTS', KEYS[1], 'granted') == 1 then
    base = 'granted'
  end
  local raise = tonumber(ARGV[2]) - tonumber(redis.call('HGET', KEYS[1], base))
  if raise > 0 then
    if base == 'granted' then
      redis.call('HINCRBY', KEYS[1], 'granted', raise)
    end
    redis.call('HINCRBY', KEYS[1], 'stock_total', raise)
    redis.call('HINCRBY', KEYS[1], 'stock_left', raise)
    redis.call('HINCRBY', KEYS[1], 'refills', 1)
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
local created = redis.pcall('XGROUP', 'CREATE', KEYS[5], ARGV[8], '0', 'MKSTREAM')
if type(created) == 'table' and created.err and not string.find(created.err, 'BUSYGROUP') then
  return redis.error_reply(created.err)
end
if tonumber(ARGV[10] or '1') > 1 then
  redis.call('HSET', KEYS[1], 'granted', ARGV[2], 'buckets', ARGV[10], 'stock_total',
    tonumber(ARGV[6]) + tonumber(ARGV[7]), 'stock_left', ARGV[6], 'reserved', ARGV[7],
    unpack(definition))
  return 'loaded'
end
redis.call('HSET', KEYS[1], 'stock_total', ARGV[2], 'stock_left', ARGV[6], 'reserved', ARGV[7],
  unpack(definition))
return 'loaded'
