-- The talk of an accepted offer is over. ARGV: offer, now, wrap_until
-- -> {'idle'|'wrap_up'|'stale'|'not_accepted', sid, agent}
local offer = ARGV[1]
local o = current(offer)
if not o then return {'stale'} end
if o[3] ~= '1' then return {'not_accepted', o[1], o[2]} end
redis.call('DEL', ck(o[1]))
drop_offer(offer)
return {wrap_agent(o[2], o[1], ARGV[2], ARGV[3]), o[1], o[2]}
