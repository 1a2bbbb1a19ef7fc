-- Gatehouse quota check: every quota of one request, checked and charged
-- atomically (all or nothing). The arithmetic mirrors gatehouse::quota::gcra.
--
-- KEYS[i]   the counter of quota i (its value: the TAT in microseconds)
-- ARGV[1]   now in microseconds, or -1 to use the server's clock
-- ARGV[2 + 3(i-1)], +1, +2: for quota i, cost x T (us), tolerance tau =
--           burst x T (us), and 1 if the quota is shadow (report-only)
--
-- Returns {now, then for each quota: allowed (0/1), charged (0/1), TAT}.
-- A charged counter expires when its bucket is full again.
local now = tonumber(ARGV[1])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local n = #KEYS
local stored, new, ok, seen = {}, {}, {}, {}
local all = true
for i = 1, n do
  local base = 2 + (i - 1) * 3
  local cost = tonumber(ARGV[base])
  local tau = tonumber(ARGV[base + 1])
  local shadow = ARGV[base + 2] == '1'
  local key = KEYS[i]
  local tat = seen[key]
  if tat == nil then
    tat = tonumber(redis.call('GET', key) or '0') or 0
  end
  local candidate = math.max(tat, now) + cost
  stored[i] = tat
  new[i] = candidate
  ok[i] = candidate - now <= tau
  if ok[i] then seen[key] = candidate else seen[key] = tat end
  if not ok[i] and not shadow then all = false end
end
local out = {now}
for i = 1, n do
  local charged = all and ok[i]
  local tat = stored[i]
  if charged then
    tat = new[i]
    redis.call('SET', KEYS[i], string.format('%.0f', tat), 'PX', math.floor((tat - now) / 1000) + 1)
  end
  out[#out + 1] = ok[i] and 1 or 0
  out[#out + 1] = charged and 1 or 0
  out[#out + 1] = tat
end
return out
