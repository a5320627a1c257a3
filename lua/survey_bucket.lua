-- survey_bucket.lua: one bucket's stock as one atomic reading, for proving a bucketed sale sold
-- out (two surveys of every bucket that agree) and for finding moves left open.
--
-- KEYS[1] bucket's sale hash, KEYS[2] its moves-out hash
--
-- Returns {} when the bucket is not loaded, else {stock_left, refills, stock_total, move id,
-- "recipient \t quantity", ...} with the moves taken from it and not yet finished.
local counters = redis.call('HMGET', KEYS[1], 'stock_left', 'refills', 'stock_total')
if not counters[1] then
  return {}
end
local reply = {counters[1], counters[2] or '0', counters[3]}
local moves = redis.call('HGETALL', KEYS[2])
for i = 1, #moves do
  reply[#reply + 1] = moves[i]
end
return reply
