-- Create an agent's state (idle) if it has none.
-- ARGV: agent, status, paused, paused_at, idle_since, since -> 1 created, 0 existed
local a = ak(ARGV[1])
if redis.call('EXISTS', a) == 1 then return 0 end
redis.call('HSET', a, 'id', ARGV[1], 'status', ARGV[2], 'paused', ARGV[3], 'paused_at', ARGV[4],
  'live', 'idle', 'call', '', 'offer', '', 'idle_since', ARGV[5], 'wrap_until', '0',
  'since', ARGV[6])
redis.call('SADD', AGENTS, ARGV[1])
return 1
