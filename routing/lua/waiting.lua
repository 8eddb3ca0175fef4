-- Every waiting caller of every region, one packed string each (fields joined by \31),
-- so a router cycle costs one round trip. ARGV: the JSON list of caller fields
local fields = cjson.decode(ARGV[1])
local out = {}
for _, region in ipairs(redis.call('SMEMBERS', QUEUES)) do
  for _, sid in ipairs(redis.call('ZRANGE', qk(region), 0, -1)) do
    local f = redis.call('HMGET', ck(sid), unpack(fields))
    if f[1] then
      for i = 1, #f do if not f[i] then f[i] = '' end end
      out[#out + 1] = table.concat(f, '\31')
    end
  end
end
return out
