-- Back in line after a miss, a failed redirect or an expired offer.
-- ARGV: offer, now, boost, pause ('1'/'0'), retry_at -> {'ok'|'accepted'|'stale', sid, agent}
local offer = ARGV[1]
local o = current(offer)
if not o then return {'stale'} end
if o[3] == '1' then return {'accepted', o[1], o[2]} end
local a = ak(o[2])
local c = ck(o[1])
if ARGV[4] == '1' then redis.call('HSET', a, 'paused', '1', 'paused_at', ARGV[2]) end
redis.call('HSET', a, 'live', 'idle', 'call', '', 'offer', '')
local boost = tonumber(ARGV[3])
if boost > 0 then
  local f = redis.call('HMGET', c, 'priority', 'cls')
  local cls = math.max(tonumber(f[2]), tonumber(f[1]) + boost)
  redis.call('HSET', c, 'cls', cls)
end
redis.call('HSET', c, 'retry_at', ARGV[5])
requeue(o[1])
drop_offer(offer)
return {'ok', o[1], o[2]}
