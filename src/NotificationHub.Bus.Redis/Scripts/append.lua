local owner = redis.call('GET', KEYS[1])
if not owner then
  redis.call('SET', KEYS[1], ARGV[1])
elseif owner ~= ARGV[1] then
  return false
end
local replicas = 0
if ARGV[8] == '1' then
  replicas = tonumber(string.match(redis.call('INFO', 'replication'), 'connected_slaves:(%d+)')) or 0
end
if KEYS[4] then
  local first = redis.call('GET', KEYS[4])
  if first then
    if replicas > 0 then
      redis.call('SET', KEYS[4], first, 'KEEPTTL')
    end
    return {first, 1, replicas}
  end
end
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local id = string.format('%.0f', ms) .. '-0'
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
if #last > 0 then
  local lms, lseq = string.match(last[1][1], '^(%d+)%-(%d+)$')
  if ms <= tonumber(lms) then
    id = lms .. '-' .. string.format('%.0f', tonumber(lseq) + 1)
  end
end
local json = '{"event_id":"' .. id .. string.sub(ARGV[2], 14)
if ARGV[11] then
  -- A traced publish keeps its traceparent beside the envelope (field t), for a live publish after the ack.
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], id, 'e', json, 't', ARGV[11])
else
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], id, 'e', json)
end
redis.call('HSET', KEYS[3], 'latest', json)
local retention = ARGV[7]
if ARGV[5] == '1' then
  retention = ARGV[6]
end
redis.call('PEXPIRE', KEYS[2], retention)
redis.call('PEXPIRE', KEYS[3], retention)
if KEYS[4] then
  redis.call('SET', KEYS[4], id, 'PX', ARGV[9])
end
if replicas == 0 then
  local pub = redis.call('HGET', KEYS[3], 'pub')
  if pub and #last > 0 and pub ~= last[1][1] then
    for _, e in ipairs(redis.call('XRANGE', KEYS[2], '(' .. pub, '(' .. id)) do
      if e[2][4] then
        redis.call(ARGV[10], ARGV[4], e[2][4] .. '\n' .. e[2][2])
      else
        redis.call(ARGV[10], ARGV[4], e[2][2])
      end
    end
  end
  -- ARGV[11]: the publish's optional traceparent, framed before the envelope on the channel only (tracing).
  if ARGV[11] then
    redis.call(ARGV[10], ARGV[4], ARGV[11] .. '\n' .. json)
  else
    redis.call(ARGV[10], ARGV[4], json)
  end
  redis.call('HSET', KEYS[3], 'pub', id)
end
return {id, 0, replicas}
