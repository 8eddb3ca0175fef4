-- The caller fetched the connect TwiML of this offer. ARGV: offer, deadline
-- -> {'ok'|'accepted'|'stale', sid, agent}
local offer = ARGV[1]
local o = current(offer)
if not o then return {'stale'} end
if o[3] == '1' then return {'accepted', o[1], o[2]} end
redis.call('HSET', ok(offer), 'connected', '1')
redis.call('ZADD', OFFERS, 'XX', ARGV[2], offer)
return {'ok', o[1], o[2]}
