redis.call('HSET', KEYS[1], 'owner', ARGV[1])
return redis.call('HMGET', KEYS[1], 'processed', 'enriched', 'errors', 'cancelled')
