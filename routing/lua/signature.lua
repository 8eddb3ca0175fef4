-- A digest of who waits where and what every agent is doing: it changes with any routing
-- step, so a live view can poll it cheaply and redraw only when something happened.
local parts = {}
local regions = redis.call('SMEMBERS', QUEUES)
table.sort(regions)
for _, region in ipairs(regions) do
  parts[#parts + 1] = region .. '=' .. table.concat(redis.call('ZRANGE', qk(region), 0, -1), ',')
end
local agents = redis.call('SMEMBERS', AGENTS)
table.sort(agents)
for _, id in ipairs(agents) do
  local f = redis.call('HMGET', ak(id), 'status', 'paused', 'live', 'call')
  parts[#parts + 1] = id .. ':' .. (f[1] or '') .. '/' .. (f[2] or '') .. '/' .. (f[3] or '')
    .. '/' .. (f[4] or '')
end
return redis.sha1hex(table.concat(parts, ';'))
