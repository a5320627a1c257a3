-- bucket_gauges.lua: one bucket's figures for `GET /metrics`, in one round trip and on Redis's
-- own clock: the accepted orders waiting for Postgres, how long the oldest has waited, the dead
-- letters, and the live counters.
--
-- KEYS[1] sale hash
-- KEYS[2] pending orders hash
-- KEYS[3] orders stream
-- KEYS[4] dead-letter stream
-- ARGV[1] consumer group
--
-- The oldest unpersisted order is in the oldest entry the group has not acknowledged: its
-- oldest pending entry (delivered, unacknowledged) or, with none pending, the first entry after
-- the last delivered one, since the group delivers in id order. Without a group (Redis lost it;
-- the persister makes it again from 0) every entry is undelivered. An entry's id starts with
-- the millisecond Redis added it, so its age is read on the clock that wrote it.
--
-- Returns {pending orders, age in ms of the oldest unacknowledged entry (-1: none), dead
-- letters, stock_left, reserved, ended (1: ends_at is past), held (0: Redis lacks the bucket)}.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local oldest
local after = '0-0'
local pending = redis.pcall('XPENDING', KEYS[3], ARGV[1])
if type(pending) == 'table' and not pending.err then
  if pending[1] > 0 then
    oldest = pending[2]
  else
    for _, group in ipairs(redis.call('XINFO', 'GROUPS', KEYS[3])) do
      local fields = {}
      for i = 1, #group, 2 do
        fields[group[i]] = group[i + 1]
      end
      if fields['name'] == ARGV[1] then
        after = fields['last-delivered-id']
      end
    end
  end
end
if not oldest then
  local next = redis.call('XRANGE', KEYS[3], '(' .. after, '+', 'COUNT', 1)
  if next[1] then
    oldest = next[1][1]
  end
end
local age = -1
if oldest then
  age = math.max(0, now - tonumber(string.match(oldest, '^(%d+)')))
end

local sale = redis.call('HMGET', KEYS[1], 'stock_left', 'reserved', 'ends_at')
local ended = 0
if sale[3] and sale[3] ~= '' and tonumber(sale[3]) <= now then
  ended = 1
end
local held = 0
if sale[1] then
  held = 1
end
return {redis.call('HLEN', KEYS[2]), age, redis.call('XLEN', KEYS[4]),
  tonumber(sale[1]) or 0, tonumber(sale[2]) or 0, ended, held}
