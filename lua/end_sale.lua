-- end_sale.lua: closes a sale now, by Redis's clock, so every instance refuses with sale_ended
-- from the next attempt on. Irreversible and idempotent: a sale already ended keeps its end.
--
-- KEYS[1] sale hash
--
-- Returns {1, starts_at, ends_at} (ms) as the sale hash now holds them, or {0, 0, now} when
-- Redis does not hold the sale (nothing written; the caller records `now` as the end in
-- Postgres, which a preload then restores). An upcoming sale's starts_at moves to one
-- millisecond before its end, as Postgres requires ends_at > starts_at.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local sale = redis.call('HMGET', KEYS[1], 'starts_at', 'ends_at')
if not sale[1] then
  return {0, 0, now}
end
local ends = now
if sale[2] ~= '' and tonumber(sale[2]) <= now then
  ends = tonumber(sale[2])
end
local starts = math.min(tonumber(sale[1]), ends - 1)
redis.call('HSET', KEYS[1], 'starts_at', string.format('%d', starts),
  'ends_at', string.format('%d', ends))
return {1, starts, ends}
