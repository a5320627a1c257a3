-- trim_orders.lua: removes from a sale's orders stream every entry the persisters' group is done
-- with. The persister runs it in the transaction that acknowledges a committed batch (MULTI:
-- XACK, HDEL of the pending-order records, this script), so entries leave the stream in the
-- step that acknowledges them. Trimming drops whole listpack nodes: deleting entry by entry
-- (XDEL) cost Redis more than reading them.
--
-- KEYS[1] orders stream
-- ARGV[1] consumer group
--
-- The group delivers entries in id order, so every entry older than its oldest pending one has
-- been acknowledged: the stream is trimmed up to that one or, with nothing pending, up to and
-- including the last delivered entry. Entries not yet delivered are newer and stay.
-- Returns the number of entries removed (0 when the group does not exist: Redis lost it).
local pending = redis.pcall('XPENDING', KEYS[1], ARGV[1])
if type(pending) ~= 'table' or pending.err then
  return 0
end
local keep_from = pending[2]
if pending[1] == 0 then
  local last
  for _, group in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
    local fields = {}
    for i = 1, #group, 2 do
      fields[group[i]] = group[i + 1]
    end
    if fields['name'] == ARGV[1] then
      last = fields['last-delivered-id']
    end
  end
  local ms, seq = string.match(last or '', '^(%d+)-(%d+)$')
  if not ms then
    return 0
  end
  -- Just past the last delivered entry. A sequence number past 2^53 (never seen in practice)
  -- keeps that one entry rather than risk a wrong id.
  keep_from = last
  if #seq < 16 then
    keep_from = ms .. '-' .. string.format('%d', tonumber(seq) + 1)
  end
end
return redis.call('XTRIM', KEYS[1], 'MINID', keep_from)
