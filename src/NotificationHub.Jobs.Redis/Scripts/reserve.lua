local current = redis.call('GET', KEYS[1])
if current then return current end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('HSET', KEYS[2], 'processed', 0, 'enriched', 0, 'errors', 0)
return ARGV[1]
