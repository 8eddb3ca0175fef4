-- Set fields of a caller still in routing; a vanished caller is not resurrected as a partial
-- hash. KEYS[1]: the caller hash; ARGV: field, value, ... -> fields set, or 0
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('HSET', KEYS[1], unpack(ARGV)) end
return 0
