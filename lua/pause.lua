-- pause.lua: pauses or resumes a sale Redis holds; reserve.lua refuses every attempt on a
-- paused sale before taking anything.
--
-- KEYS[1] sale hash
-- ARGV[1] '1' to pause, '0' to resume
--
-- Returns 1 when the sale hash exists (and was updated), 0 when Redis does not hold the sale:
-- nothing is written then, so a lost sale is not half-recreated (a preload restores it, with
-- the pause Postgres recorded).
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
if ARGV[1] == '1' then
  redis.call('HSET', KEYS[1], 'paused', '1')
else
  redis.call('HDEL', KEYS[1], 'paused')
end
return 1
