-- Offer a waiting caller to an idle agent. ARGV: sid, agent, offer, now, deadline
-- -> 'ok', or who was no longer free ('caller' / 'agent')
local sid, agent, offer = ARGV[1], ARGV[2], ARGV[3]
local c = ck(sid)
local a = ak(agent)
local cf = redis.call('HMGET', c, 'state', 'region')
if cf[1] ~= 'waiting' then return 'caller' end
local af = redis.call('HMGET', a, 'status', 'paused', 'live')
if af[1] ~= 'available' or af[2] ~= '0' or af[3] ~= 'idle' then return 'agent' end
redis.call('ZREM', qk(cf[2]), sid)
redis.call('HSET', c, 'state', 'offered', 'agent', agent, 'offer', offer)
redis.call('HSET', a, 'live', 'ringing', 'call', sid, 'offer', offer)
redis.call('HSET', ok(offer), 'id', offer, 'sid', sid, 'agent', agent, 'created', ARGV[4],
  'connected', '0', 'accepted', '0')
redis.call('ZADD', OFFERS, ARGV[5], offer)
return 'ok'
