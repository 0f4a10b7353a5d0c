/**
 * The Lua scripts of the shared session store. Each runs atomically in Redis, so that what must
 * happen together (an append and its wake-up; a final response and the removal of its call from
 * the running instance's registry) cannot be split by a crash or by another instance.
 *
 * Keys are built by the caller from MCP_REDIS_PREFIX (see `SessionKeys`); the reaper builds the
 * stream keys of a dead instance's calls itself, so the store needs one Redis, not a Cluster.
 */

/**
 * The end of `append` and `finish`: the entry goes to the session's stream (trimmed to about
 * `maxlen` entries), both keys' TTL slides, and the wake-up hint is published in the same step:
 * a holder that reads after the hint always finds the entry. `o` is the index of `maxlen` in
 * ARGV; `maxlen, ttlMs, to, kind, data, channel` follow each other from there.
 */
const STORE = (o: number): string => `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[${o}], '*', 'to', ARGV[${o + 2}], 'k', ARGV[${o + 3}], 'd', ARGV[${o + 4}])
local ttl = tonumber(ARGV[${o + 1}])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[1], ttl)
end
redis.call('PUBLISH', ARGV[${o + 5}], id)
return id
`;

/**
 * append(meta, out; maxlen, ttlMs, to, kind, data, channel) -> entry id, or false when the
 * session is gone (ended or expired: nothing is stored for nobody).
 */
export const APPEND = STORE(1);

/**
 * finish(meta, out, calls; field, maxlen, ttlMs, to, kind, data, channel) -> entry id, or false.
 * The final response of a call this instance registered: stored only if the call is still in the
 * registry (HDEL removes it in the same step). When the instance was taken for dead and its calls
 * answered by the reaper meanwhile, the late result is not stored: one final response per call.
 */
export const FINISH = `
if redis.call('HDEL', KEYS[3], ARGV[1]) == 0 then return false end
${STORE(2)}`;

/**
 * reap(heartbeat, calls, instances, counts, streams; instance, prefix, maxlen, ttlMs, message, events, ended)
 * -> calls answered.
 * Runs only while the instance's heartbeat is missing (a returning instance refreshes it first).
 * Every call in its registry gets one JSON-RPC error (-32603) on its session's stream; the
 * registry entry is removed in the same step, so the owner's late `finish` finds nothing.
 * Registry values are `<sessionId> <to> <request id as JSON>`; a Streamable HTTP POST stream
 * (`to` is its id) gets its end entry after its errors. The HTTP+SSE sessions whose
 * stream it held (`streams`) end: their client's stream died with it, and a POST for them must
 * be answered 404 (open a new stream), not accepted for nobody. `ended` is the events message
 * with `%s` for the session id.
 */
export const REAP = `
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local calls = redis.call('HGETALL', KEYS[2])
local answered = 0
local posts = {}
for i = 1, #calls, 2 do
  local value = calls[i + 1]
  local sid, to, rid = string.match(value, '^(%S+) (%S+) (.*)$')
  if sid then
    local meta = ARGV[2] .. 's:' .. sid
    local out = meta .. ':out'
    if redis.call('EXISTS', meta) == 1 then
      local data = '{"jsonrpc":"2.0","id":' .. rid .. ',"error":{"code":-32603,"message":' .. ARGV[5] .. '}}'
      local id = redis.call('XADD', out, 'MAXLEN', '~', ARGV[3], '*', 'to', to, 'k', 'm', 'd', data)
      redis.call('PUBLISH', meta .. ':wake', id)
      answered = answered + 1
      if to ~= 'sse' then posts[out .. ' ' .. to] = meta end
    end
  end
end
-- A Streamable HTTP POST stream of the stopped instance ends after its errors (a client
-- following it elsewhere would wait for its end forever otherwise).
for key, meta in pairs(posts) do
  local out, to = string.match(key, '^(%S+) (%S+)$')
  local id = redis.call('XADD', out, 'MAXLEN', '~', ARGV[3], '*', 'to', to, 'k', 'e', 'd', '')
  redis.call('PUBLISH', meta .. ':wake', id)
end
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[5])) do
  local meta = ARGV[2] .. 's:' .. sid
  redis.call('DEL', meta, meta .. ':out', meta .. ':lease')
  redis.call('PUBLISH', ARGV[6], string.format(ARGV[7], sid))
end
redis.call('DEL', KEYS[2], KEYS[5])
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
return answered
`;

/**
 * renew(lease, meta, out; instance, leaseMs, ttlMs) -> 1 while this instance holds the lease, else 0.
 * The holder of a GET stream keeps its lease, and the session's keys, alive.
 */
export const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
end
return 1
`;

/** release(lease; instance): drop the lease if this instance still holds it. */
export const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;
