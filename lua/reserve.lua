-- reserve.lua: one order attempt, all or nothing. Every check runs before the first write, so a
-- refused attempt changes nothing; Redis runs the script atomically, so stock never goes below 0.
--
-- KEYS[1] sale hash: per_user_limit, starts_at, ends_at (ms, '' = open-ended), stock_left, reserved,
--         paused ('1' while an operator has paused the sale, else absent)
-- KEYS[2] buyers hash: user_id -> quantity accepted so far
-- KEYS[3] idempotency hash: "user_id \t key" -> "order_id \t user_id \t quantity \t created_ms"
-- KEYS[4] pending hash: order_id -> "user_id \t quantity \t created_ms [\t key]", until persisted
-- KEYS[5] orders stream, read by the persister (an idempotency_key field when there is a key)
-- ARGV[1] user_id, ARGV[2] quantity, ARGV[3] order_id (UUIDv7), ARGV[4] idempotency key or ''
--
-- Returns {'accepted', order_id, created_ms} for a new order, {'replayed', order_id, created_ms}
-- for a repeated idempotency key, or {reason} with reason one of sale_not_found,
-- idempotency_key_reused, sale_ended, sale_paused, sale_not_started, sold_out,
-- purchase_limit_exceeded, insufficient_stock.
local sale = redis.call('HMGET', KEYS[1], 'starts_at', 'ends_at', 'per_user_limit', 'stock_left',
  'paused')
if not sale[1] then
  return {'sale_not_found'}
end
local user, quantity, order_id, key = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]

-- A retry must get its original answer even after the sale sold out or ended. Keys are scoped
-- by buyer: another buyer's use of the same key neither blocks nor reveals this one's.
-- Sales loaded before that scoping hold bare-key fields; one of those counts only for its buyer.
local scoped = user .. '\t' .. key
if key ~= '' then
  local earlier = redis.call('HGET', KEYS[3], scoped) or redis.call('HGET', KEYS[3], key)
  if earlier then
    local id, buyer, qty, created = string.match(earlier, '^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$')
    if buyer == user then
      if tonumber(qty) == quantity then
        return {'replayed', id, created}
      end
      return {'idempotency_key_reused'}
    end
  end
end

-- Redis's clock, not each instance's, decides the window: all instances open at the same instant.
local time = redis.call('TIME')
local now = string.format('%d', tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000))
-- An end is final and outranks a pause, which is temporary (and ending an upcoming sale may
-- leave starts_at after ends_at while a preload races the end: still ended).
if sale[2] ~= '' and tonumber(now) >= tonumber(sale[2]) then
  return {'sale_ended'}
end
if sale[5] == '1' then
  return {'sale_paused'}
end
if tonumber(now) < tonumber(sale[1]) then
  return {'sale_not_started'}
end

local left = tonumber(sale[4])
if left <= 0 then
  return {'sold_out'}
end
local bought = tonumber(redis.call('HGET', KEYS[2], user) or '0')
if bought + quantity > tonumber(sale[3]) then
  return {'purchase_limit_exceeded'}
end
if left < quantity then
  return {'insufficient_stock'}
end

redis.call('HINCRBY', KEYS[1], 'stock_left', -quantity)
redis.call('HINCRBY', KEYS[1], 'reserved', quantity)
redis.call('HINCRBY', KEYS[2], user, quantity)
-- The key travels with the order, so Postgres keeps it and a lost sale can be restored with it.
local entry = {'order_id', order_id, 'user_id', user, 'quantity', ARGV[2], 'created_ms', now}
local pending = user .. '\t' .. ARGV[2] .. '\t' .. now
if key ~= '' then
  table.insert(entry, 'idempotency_key')
  table.insert(entry, key)
  pending = pending .. '\t' .. key
  redis.call('HSET', KEYS[3], scoped, order_id .. '\t' .. user .. '\t' .. ARGV[2] .. '\t' .. now)
end
redis.call('XADD', KEYS[5], '*', unpack(entry))
redis.call('HSET', KEYS[4], order_id, pending)
return {'accepted', order_id, now}
