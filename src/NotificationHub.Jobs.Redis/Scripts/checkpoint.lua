if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return -1 end
redis.call('HSET', KEYS[1], 'processed', ARGV[2], 'enriched', ARGV[3], 'errors', ARGV[4])
if redis.call('HGET', KEYS[1], 'cancelled') == '1' then return 1 end
return 0
