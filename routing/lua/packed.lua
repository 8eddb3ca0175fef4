-- The hashes named by ARGV[2..] as packed strings ('' for a missing one).
-- ARGV: the JSON list of fields, then the key names
local fields = cjson.decode(ARGV[1])
local out = {}
for i = 2, #ARGV do
  local f = redis.call('HMGET', ARGV[i], unpack(fields))
  if f[1] then
    for j = 1, #f do if not f[j] then f[j] = '' end end
    out[#out + 1] = table.concat(f, '\31')
  else
    out[#out + 1] = ''
  end
end
return out
