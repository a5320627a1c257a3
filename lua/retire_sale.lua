-- retire_sale.lua: lets an ended, fully persisted sale (or one bucket of it) leave Redis. Every
-- key of the sale gets the same time to live; reads and idempotent replays are then answered
-- from Postgres (see src/retirement.rs). Checked and done in one step, so nothing can be
-- accepted, replayed or moved in between.
--
-- KEYS[1] sale hash, KEYS[2] buyers hash, KEYS[3] idempotency hash, KEYS[4] pending hash,
-- KEYS[5] orders stream, KEYS[6] dead letters stream, KEYS[7] moves out, KEYS[8] moves in,
-- KEYS[9] returns hash: all in the sale's (or bucket's) Redis Cluster slot.
-- ARGV[1] time to live in ms, ARGV[2] how long ago (ms, by Redis's clock) the sale must have
-- ended, ARGV[3] '1' to check only (a split sale checks every bucket before retiring any, so no
-- bucket leaves while another must stay).
--
-- Returns 1 when the keys now expire (or, checking only, would), 0 when Redis does not hold the sale, -1 when it has not
-- ended long enough ago (or never ends), -2 when accepted orders are not all in Postgres yet
-- (a pending record stays until its order is committed), -3 when it has dead letters (an
-- operator may replay them), -4 when a move of stock between buckets is open.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local ends_at = tonumber(redis.call('HGET', KEYS[1], 'ends_at') or '')
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if not ends_at or now - ends_at < tonumber(ARGV[2]) then
  return -1
end
if redis.call('HLEN', KEYS[4]) > 0 then
  return -2
end
if redis.call('XLEN', KEYS[6]) > 0 then
  return -3
end
if redis.call('HLEN', KEYS[7]) > 0 then
  return -4
end
if ARGV[3] == '1' then
  return 1
end
for _, key in ipairs(KEYS) do
  redis.call('PEXPIRE', key, ARGV[1])
end
return 1
