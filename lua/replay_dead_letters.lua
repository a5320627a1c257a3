-- replay_dead_letters.lua: moves dead letters back to the sale's orders stream. Each move (XADD
-- to the orders stream, XDEL from the dead letters) is one atomic step, so a crash or a retry
-- can neither duplicate an order nor lose one: a second replay of the same id finds nothing.
--
-- KEYS[1] dead-letters stream: the entry's fields, then `entry_id` and `reason`
-- KEYS[2] orders stream, read by the persisters' group
-- ARGV    dead-letter ids to replay (stream ids, checked by the caller)
--
-- Returns the ids replayed; an id not in the dead letters (replayed already, or never there) is
-- skipped, and so is an entry with no field to replay.
local replayed = {}
for _, id in ipairs(ARGV) do
  local found = redis.call('XRANGE', KEYS[1], id, id)
  if #found == 1 then
    local fields, order = found[1][2], {}
    for i = 1, #fields, 2 do
      if fields[i] ~= 'entry_id' and fields[i] ~= 'reason' then
        order[#order + 1] = fields[i]
        order[#order + 1] = fields[i + 1]
      end
    end
    if #order > 0 then
      redis.call('XADD', KEYS[2], '*', unpack(order))
      redis.call('XDEL', KEYS[1], id)
      replayed[#replayed + 1] = id
    end
  end
end
return replayed
