if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PERSIST', KEYS[1])
redis.call('SET', KEYS[2], ARGV[3])
redis.call('XADD', KEYS[3], '*', 'job', ARGV[2])
return 1
