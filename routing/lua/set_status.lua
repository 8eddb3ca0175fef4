-- An agent's chosen status. ARGV: agent, status, clear_pause ('1'/'0'), now
-- -> 'ok' | 'missing'
local a = ak(ARGV[1])
if redis.call('EXISTS', a) == 0 then return 'missing' end
local f = redis.call('HMGET', a, 'status', 'paused', 'live')
local back = ARGV[2] == 'available' and (f[1] ~= 'available' or (ARGV[3] == '1' and f[2] == '1'))
redis.call('HSET', a, 'status', ARGV[2], 'since', ARGV[4])
if ARGV[3] == '1' then redis.call('HSET', a, 'paused', '0', 'paused_at', '0') end
if back and f[3] == 'idle' then redis.call('HSET', a, 'idle_since', ARGV[4]) end
return 'ok'
