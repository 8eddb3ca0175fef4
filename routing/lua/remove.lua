-- The caller is gone (hang-up, call-back, voicemail). ARGV: sid, now, wrap_until,
-- only_waiting -> {state before, agent}
local sid = ARGV[1]
local c = ck(sid)
local f = redis.call('HMGET', c, 'state', 'region', 'agent', 'offer')
if not f[1] then return {'missing', ''} end
if ARGV[4] == '1' and f[1] ~= 'waiting' then return {f[1], f[3]} end
if f[1] == 'waiting' then
  redis.call('ZREM', qk(f[2]), sid)
elseif f[3] ~= '' then
  if redis.call('HGET', ak(f[3]), 'offer') == f[4] then
    if f[1] == 'talking' then
      wrap_agent(f[3], sid, ARGV[2], ARGV[3])
    else
      redis.call('HSET', ak(f[3]), 'live', 'idle', 'call', '', 'offer', '')
    end
  end
  drop_offer(f[4])
end
redis.call('DEL', c)
return {f[1], f[3]}
