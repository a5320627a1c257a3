-- raise_buyers.lua: raises a live sale's buyer counts to what Postgres and the pending orders
-- say each buyer took, after Redis came back with older data (see redis_gate.rs).
--
-- KEYS[1] sale hash, KEYS[2] buyers hash
-- ARGV pairs: user id, quantity taken
--
-- A count is only ever raised, never lowered: orders accepted since the caller looked are in
-- the live count and not in the caller's. A sale Redis does not hold is left alone (a restore
-- loads its buyers in the step that makes it sellable). Returns how many counts were raised.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local raised = 0
for i = 1, #ARGV, 2 do
  local current = tonumber(redis.call('HGET', KEYS[2], ARGV[i]) or '0')
  if tonumber(ARGV[i + 1]) > current then
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
    raised = raised + 1
  end
end
return raised
