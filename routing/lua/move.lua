-- A supervisor moves a waiting caller to another region's queue; the score (class, then the
-- original enqueue time) is kept, so the caller takes their place by how long they waited.
-- The overflow reach starts again from the new region. ARGV: sid, region
-- -> {'ok'|'same'|state (offered/talking)|'missing', region before}
local sid, region = ARGV[1], ARGV[2]
local c = ck(sid)
local f = redis.call('HMGET', c, 'state', 'region', 'cls', 'enq')
if not f[1] then return {'missing', ''} end
if f[1] ~= 'waiting' then return {f[1], f[2]} end
if f[2] == region then return {'same', f[2]} end
redis.call('ZREM', qk(f[2]), sid)
redis.call('HSET', c, 'region', region, 'reach', '0', 'nobody', '0', 'ready', '0')
redis.call('ZADD', qk(region), score(f[3], f[4]), sid)
redis.call('SADD', QUEUES, region)
return {'ok', f[2]}
