-- The agent pressed 1. ARGV: offer, now -> {'ok'|'again'|'stale', sid, agent}
local offer = ARGV[1]
local o = current(offer)
if not o then return {'stale'} end
if o[3] == '1' then return {'again', o[1], o[2]} end
redis.call('HSET', ok(offer), 'accepted', '1', 'accepted_at', ARGV[2])
redis.call('HSET', ck(o[1]), 'state', 'talking')
redis.call('HSET', ak(o[2]), 'live', 'talking')
redis.call('ZREM', OFFERS, offer)
return {'ok', o[1], o[2]}
