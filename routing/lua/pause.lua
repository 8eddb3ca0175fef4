-- A supervisor's pause: status break and paused until released. ARGV: agent, now
-- -> 'ok' | 'missing'
local a = ak(ARGV[1])
if redis.call('EXISTS', a) == 0 then return 'missing' end
local f = redis.call('HMGET', a, 'status', 'paused')
if f[1] ~= 'break' then redis.call('HSET', a, 'status', 'break', 'since', ARGV[2]) end
if f[2] ~= '1' then redis.call('HSET', a, 'paused', '1', 'paused_at', ARGV[2]) end
return 'ok'
