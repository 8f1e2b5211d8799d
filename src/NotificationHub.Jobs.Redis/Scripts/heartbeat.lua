if redis.call('HGET', KEYS[2], 'owner') ~= ARGV[1] then return -1 end
redis.call('XCLAIM', KEYS[1], ARGV[2], ARGV[1], 0, ARGV[3], 'JUSTID')
if redis.call('HGET', KEYS[2], 'cancelled') == '1' then return 1 end
return 0
