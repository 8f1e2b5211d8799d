if redis.call('HGET', KEYS[2], 'owner') ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[2], 'owner')
redis.call('XCLAIM', KEYS[1], ARGV[2], ARGV[1], 0, ARGV[3], 'IDLE', ARGV[4], 'JUSTID')
return 1
