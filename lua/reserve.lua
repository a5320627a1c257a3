-- reserve.lua: a batch of order attempts on one sale, decided one by one in the order given,
-- each with exactly the rules it would meet alone (a batch of one is a lone attempt). Every check
-- of an attempt runs before its writes, so a refused attempt changes nothing; Redis runs the
-- script atomically, so stock never goes below 0.
--
-- KEYS[1] sale hash: per_user_limit, starts_at, ends_at (ms, '' = open-ended), stock_left, reserved,
--         paused ('1' while an operator has paused the sale, else absent)
-- KEYS[2] buyers hash: user_id -> quantity accepted so far
-- KEYS[3] idempotency hash: "user_id \t key" -> "order_id \t user_id \t quantity \t created_ms"
-- KEYS[4] pending hash: order_id -> "user_id \t quantity \t created_ms [\t key]", until persisted
-- KEYS[5] orders stream, read by the persister: one entry per batch that sold, with the fields
--         created_ms and orders, one line per new order: "order_id \t user_id \t quantity" and
--         "\t key" when it has one, lines joined by "\n" (ids and keys hold no control characters)
-- ARGV    four per attempt: user_id, quantity, order_id (UUIDv7), idempotency key or ''
--
-- Returns {created_ms, then one answer per attempt, in order}: created_ms is the time of the
-- batch's new orders ('' when the sale is not found); an answer is 'accepted' (a new order, with
-- the order id it was given), 'replayed \t order_id \t created_ms' (a repeated idempotency key),
-- or a reason: sale_not_found, idempotency_key_reused, sale_ended, sale_paused,
-- sale_not_started, sold_out, purchase_limit_exceeded, insufficient_stock. Short answers: the
-- reply is built for every attempt of a storm.
local attempts = #ARGV / 4
local replies = {}
local sale = redis.call('HMGET', KEYS[1], 'starts_at', 'ends_at', 'per_user_limit', 'stock_left',
  'paused')
if not sale[1] then
  replies[1] = ''
  for i = 1, attempts do
    replies[i + 1] = 'sale_not_found'
  end
  return replies
end

-- Redis's clock, not each instance's, decides the window: all instances open at the same instant.
-- One reading serves the batch: its attempts arrived together.
local time = redis.call('TIME')
local now = string.format('%d', tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000))
-- An end is final and outranks a pause, which is temporary (and ending an upcoming sale may
-- leave starts_at after ends_at while a preload races the end: still ended).
local closed = nil
if sale[2] ~= '' and tonumber(now) >= tonumber(sale[2]) then
  closed = 'sale_ended'
elseif sale[5] == '1' then
  closed = 'sale_paused'
elseif tonumber(now) < tonumber(sale[1]) then
  closed = 'sale_not_started'
end
local limit, left, taken = tonumber(sale[3]), tonumber(sale[4]), 0

-- The batch's writes to the hashes are gathered and made once at the end; until then these
-- tables are what later attempts of the batch read, so they see earlier ones as if written.
-- What each buyer bought so far comes in one read for the whole batch, when it can sell.
local bought, bought_writes = {}, {}
if not closed and left > 0 then
  local users = {}
  for i = 1, attempts do
    local user = ARGV[(i - 1) * 4 + 1]
    if not bought[user] then
      bought[user] = 0
      table.insert(users, user)
    end
  end
  local so_far = redis.call('HMGET', KEYS[2], unpack(users))
  for i, user in ipairs(users) do
    bought[user] = tonumber(so_far[i] or '0')
  end
end
local written = {}
local records, record_writes = {}, {}
local pending_writes = {}
-- The batch's orders travel in one stream entry: an entry per order cost Redis more than
-- deciding the order, and the persister as much again to read and acknowledge it.
local lines = {}

-- A retry must get its original answer even after the sale sold out or ended. Keys are scoped
-- by buyer: another buyer's use of the same key neither blocks nor reveals this one's.
-- Sales loaded before that scoping hold bare-key fields; one of those counts only for its buyer.
local function earlier_answer(user, quantity, key, scoped)
  local earlier = records[scoped] or redis.call('HGET', KEYS[3], scoped)
    or redis.call('HGET', KEYS[3], key)
  if not earlier then
    return nil
  end
  local id, buyer, qty, created = string.match(earlier, '^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$')
  if buyer ~= user then
    return nil
  end
  if tonumber(qty) == quantity then
    return 'replayed\t' .. id .. '\t' .. created
  end
  return 'idempotency_key_reused'
end

local function decide(user, quantity_arg, order_id, key)
  local quantity = tonumber(quantity_arg)
  local scoped
  if key ~= '' then
    scoped = user .. '\t' .. key
    local answer = earlier_answer(user, quantity, key, scoped)
    if answer then
      return answer
    end
  end
  if closed then
    return closed
  end
  if left <= 0 then
    return 'sold_out'
  end
  local so_far = bought[user]
  if so_far + quantity > limit then
    return 'purchase_limit_exceeded'
  end
  if left < quantity then
    return 'insufficient_stock'
  end

  left, taken = left - quantity, taken + quantity
  if not written[user] then
    written[user] = true
    bought_writes[#bought_writes + 1] = user
  end
  bought[user] = so_far + quantity
  -- The key travels with the order, so Postgres keeps it and a lost sale can be restored with it.
  local pending = user .. '\t' .. quantity_arg .. '\t' .. now
  if key ~= '' then
    lines[#lines + 1] = order_id .. '\t' .. user .. '\t' .. quantity_arg .. '\t' .. key
    pending = pending .. '\t' .. key
    records[scoped] = order_id .. '\t' .. user .. '\t' .. quantity_arg .. '\t' .. now
    record_writes[#record_writes + 1] = scoped
  else
    lines[#lines + 1] = order_id .. '\t' .. user .. '\t' .. quantity_arg
  end
  pending_writes[#pending_writes + 1] = order_id
  pending_writes[#pending_writes + 1] = pending
  return 'accepted'
end

replies[1] = now
for i = 1, attempts do
  local at = (i - 1) * 4
  replies[i + 1] = decide(ARGV[at + 1], ARGV[at + 2], ARGV[at + 3], ARGV[at + 4])
end

if taken > 0 then
  -- The stream entry is the first write: a refused write (out of memory) fails the script
  -- before anything else changed, and Redis lets a script that has written go on writing.
  redis.call('XADD', KEYS[5], '*', 'created_ms', now, 'orders', table.concat(lines, '\n'))
  redis.call('HINCRBY', KEYS[1], 'stock_left', -taken)
  redis.call('HINCRBY', KEYS[1], 'reserved', taken)
  local fields = {}
  for _, user in ipairs(bought_writes) do
    table.insert(fields, user)
    table.insert(fields, bought[user])
  end
  redis.call('HSET', KEYS[2], unpack(fields))
  redis.call('HSET', KEYS[4], unpack(pending_writes))
  if #record_writes > 0 then
    fields = {}
    for _, scoped in ipairs(record_writes) do
      table.insert(fields, scoped)
      table.insert(fields, records[scoped])
    end
    redis.call('HSET', KEYS[3], unpack(fields))
  end
end
return replies
