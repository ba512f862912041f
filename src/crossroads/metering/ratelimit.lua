-- Token buckets for crossroads rate limits (see ratelimit.py). Times from the Redis server clock.
-- KEYS: request bucket, token bucket. ARGV: rpm, tpm, tokens. Returns {wait seconds, limit}.
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local function level(key, cap)
  local v = redis.call('HMGET', key, 'l', 't')
  local l = tonumber(v[1]) or cap
  local at = tonumber(v[2]) or now
  return math.min(cap, l + (now - at) * cap / 60)
end
local rpm, tpm = tonumber(ARGV[1]), tonumber(ARGV[2])
local tokens = math.min(tonumber(ARGV[3]), tpm)
local wait, kind, rl, tl = 0, '', 0, 0
if rpm > 0 then
  rl = level(KEYS[1], rpm)
  if rl < 1 then wait, kind = (1 - rl) * 60 / rpm, 'requests' end
end
if tpm > 0 then
  tl = level(KEYS[2], tpm)
  if tl < tokens and (tokens - tl) * 60 / tpm > wait then wait, kind = (tokens - tl) * 60 / tpm, 'tokens' end
end
if wait > 0 then return {tostring(wait), kind} end
if rpm > 0 then redis.call('HSET', KEYS[1], 'l', rl - 1, 't', now); redis.call('EXPIRE', KEYS[1], 120) end
if tpm > 0 then redis.call('HSET', KEYS[2], 'l', tl - tokens, 't', now); redis.call('EXPIRE', KEYS[2], 120) end
return {'0', ''}
-- ADJUST --
-- KEYS: token bucket. ARGV: tpm, delta (tokens given back; negative takes more).
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local cap = tonumber(ARGV[1])
local v = redis.call('HMGET', KEYS[1], 'l', 't')
if not v[1] then return 0 end
local l = math.min(cap, tonumber(v[1]) + (now - tonumber(v[2])) * cap / 60 + tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 'l', math.min(cap, l), 't', now)
redis.call('EXPIRE', KEYS[1], 120)
return 1
