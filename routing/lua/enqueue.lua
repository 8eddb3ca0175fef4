-- A caller joins its region's queue. ARGV: sid, call_id, service, group, topic, region,
-- priority, cls, enq, repeat -> 1 created, 0 known already
local sid = ARGV[1]
local c = ck(sid)
if redis.call('EXISTS', c) == 1 then return 0 end
redis.call('HSET', c, 'sid', sid, 'id', ARGV[2], 'service', ARGV[3], 'group', ARGV[4],
  'topic', ARGV[5], 'region', ARGV[6], 'priority', ARGV[7], 'cls', ARGV[8], 'enq', ARGV[9],
  'repeat', ARGV[10], 'state', 'waiting', 'agent', '', 'offer', '', 'reach', '0',
  'nobody', '0', 'ready', '0', 'retry_at', '0')
redis.call('ZADD', qk(ARGV[6]), score(ARGV[8], ARGV[9]), sid)
redis.call('SADD', QUEUES, ARGV[6])
return 1
