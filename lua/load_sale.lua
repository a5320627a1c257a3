-- load_sale.lua: puts a sale into Redis, either fresh (create) or restored from Postgres (preload).
--
-- KEYS[1] sale hash, KEYS[2] buyers hash, KEYS[3] idempotency hash, KEYS[4] pending hash,
-- KEYS[5] orders stream
-- ARGV[1] mode: 'replace' wipes whatever the keys held (a new sale); 'restore' keeps a sale that
--         is already live and only refreshes its definition, so it is safe during a sale
-- ARGV[2] name, ARGV[3] stock_total, ARGV[4] per_user_limit, ARGV[5] starts_at ms,
-- ARGV[6] ends_at ms or '', ARGV[7] stock_left, ARGV[8] reserved, ARGV[9] consumer group,
-- ARGV[10] '1' if Postgres records the sale as paused
--
-- Returns 'loaded' when stock and counters were written, 'kept' when a live sale was left as is.
-- A live sale is never unpaused nor reopened here: its pause and an earlier end set by an
-- operator (see end_sale.lua) win over a Postgres copy that has not caught up yet.
if ARGV[1] == 'replace' then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
end
local definition = {'name', ARGV[2], 'stock_total', ARGV[3], 'per_user_limit', ARGV[4],
  'starts_at', ARGV[5], 'ends_at', ARGV[6]}
if ARGV[10] == '1' then
  table.insert(definition, 'paused')
  table.insert(definition, '1')
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  local live_end = redis.call('HGET', KEYS[1], 'ends_at')
  if live_end and live_end ~= '' and (ARGV[6] == '' or tonumber(live_end) < tonumber(ARGV[6])) then
    definition[10] = live_end
  end
  redis.call('HSET', KEYS[1], unpack(definition))
  return 'kept'
end
redis.call('HSET', KEYS[1], 'stock_left', ARGV[7], 'reserved', ARGV[8], unpack(definition))
-- The stream may have survived the sale hash; its group then already exists.
local created = redis.pcall('XGROUP', 'CREATE', KEYS[5], ARGV[9], '0', 'MKSTREAM')
if type(created) == 'table' and created.err and not string.find(created.err, 'BUSYGROUP') then
  return redis.error_reply(created.err)
end
return 'loaded'
