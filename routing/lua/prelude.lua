-- Shared by every script of routing/state.py: key names, the queue score, common steps.
local P = 'hotline:'
local OFFERS = P .. 'routing:offers'
local WRAPPING = P .. 'routing:wrapping'
local QUEUES = P .. 'routing:queues'
local AGENTS = P .. 'routing:agents'
local function ck(sid) return P .. 'caller:' .. sid end
local function ak(id) return P .. 'agent:' .. id end
local function ok(id) return P .. 'offer:' .. id end
local function qk(region) return P .. 'queue:' .. region end
local function score(cls, enq)
  return string.format('%.0f', tonumber(enq) - tonumber(cls) * 10000000000000)
end
local function requeue(sid)
  local c = ck(sid)
  local f = redis.call('HMGET', c, 'region', 'cls', 'enq')
  redis.call('HSET', c, 'state', 'waiting', 'agent', '', 'offer', '')
  redis.call('ZADD', qk(f[1]), score(f[2], f[3]), sid)
  redis.call('SADD', QUEUES, f[1])
end
local function drop_offer(offer)
  redis.call('DEL', ok(offer))
  redis.call('ZREM', OFFERS, offer)
end
local function wrap_agent(agent, sid, now, wrap_until)
  local a = ak(agent)
  if tonumber(wrap_until) <= tonumber(now) then
    redis.call('HSET', a, 'live', 'idle', 'call', '', 'offer', '', 'idle_since', now,
      'wrap_until', '0')
    redis.call('ZREM', WRAPPING, agent)
    return 'idle'
  end
  redis.call('HSET', a, 'live', 'wrap_up', 'call', sid, 'offer', '', 'wrap_until', wrap_until)
  redis.call('ZADD', WRAPPING, wrap_until, agent)
  return 'wrap_up'
end
-- The offer's {sid, agent, accepted} if it is the current offer of both caller and agent.
local function current(offer)
  local o = redis.call('HMGET', ok(offer), 'sid', 'agent', 'accepted')
  if not o[1] then return nil end
  if redis.call('HGET', ck(o[1]), 'offer') ~= offer then return nil end
  if redis.call('HGET', ak(o[2]), 'offer') ~= offer then return nil end
  return o
end
