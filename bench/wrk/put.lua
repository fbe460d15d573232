-- POST /trpc/secret.put: a new fake value each time, to one secret (COFFER_WRK_SPREAD=1) or
-- spread over bench_w0 … bench_w<SPREAD-1>. Every 200 response's version is kept, so that the
-- benchmark can check afterwards that no two acknowledged writes got the same version and
-- that every acknowledged version exists.
local common = dofile(os.getenv("COFFER_WRK_DIR") .. "/common.lua")
local spread = tonumber(os.getenv("COFFER_WRK_SPREAD") or "1")
local one = os.getenv("COFFER_WRK_SECRET")
local n = 0
acked = {}
ok = 0
setup = common.setup
request = function()
  n = n + 1
  local name = spread > 1 and ("bench_w" .. (n % spread)) or one
  local body = string.format('{"secret":"%s","value":"fake-bench-value-%d-%d"}', name, id, n)
  return wrk.format("POST", "/trpc/secret.put", common.headers, body)
end
response = function(status, headers, body)
  if status == 200 then
    ok = ok + 1
    local v = body:match('"version":(%d+)')
    if spread == 1 and v then table.insert(acked, tonumber(v)) end
  end
end
done = function(summary, latency)
  local all, total = {}, 0
  for _, t in ipairs(common.threads) do
    total = total + t:get("ok")
    for _, v in ipairs(t:get("acked")) do table.insert(all, v) end
  end
  common.done(summary, latency,
    string.format('"ok":%d,"acked":[%s]', total, table.concat(all, ",")))
end
