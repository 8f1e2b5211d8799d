local function after(a, b)
  local am, as = string.match(a, '^(%d+)%-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)%-(%d+)$')
  am, bm = tonumber(am), tonumber(bm)
  return am > bm or (am == bm and tonumber(as) > tonumber(bs))
end
local pub = redis.call('HGET', KEYS[2], 'pub')
if pub and not after(ARGV[1], pub) then
  return 0
end
local from = '-'
if pub then
  from = '(' .. pub
end
local entries = redis.call('XRANGE', KEYS[1], from, ARGV[1])
for _, e in ipairs(entries) do
  -- e[2]: {'e', envelope} or, for a traced publish, {'e', envelope, 't', traceparent}: framed as on the
  -- append's own live publish, so the receiving nodes' spans link to the publish span.
  if e[2][4] then
    redis.call(ARGV[3], ARGV[2], e[2][4] .. '\n' .. e[2][2])
  else
    redis.call(ARGV[3], ARGV[2], e[2][2])
  end
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('HSET', KEYS[2], 'pub', ARGV[1])
end
return #entries
