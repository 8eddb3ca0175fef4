-- End an agent's wrap-up if it is due. ARGV: agent, now -> the CallSid, or false
local agent = ARGV[1]
local a = ak(agent)
local f = redis.call('HMGET', a, 'live', 'wrap_until', 'call')
if f[1] ~= 'wrap_up' then
  redis.call('ZREM', WRAPPING, agent)
  return false
end
if tonumber(f[2]) > tonumber(ARGV[2]) then return false end
redis.call('HSET', a, 'live', 'idle', 'call', '', 'idle_since', f[2], 'wrap_until', '0')
redis.call('ZREM', WRAPPING, agent)
return f[3]
