-- POST /trpc/secret.create of new secrets: bench_c<RUN>_<thread>_<n>, fake values.
local common = dofile(os.getenv("COFFER_WRK_DIR") .. "/common.lua")
local run = os.getenv("COFFER_WRK_RUN") or "0"
local n = 0
ok = 0
setup = common.setup
request = function()
  n = n + 1
  local body = string.format('{"secret":"bench_c%s_%d_%d","value":"fake-bench-value-%d"}',
    run, id, n, n)
  return wrk.format("POST", "/trpc/secret.create", common.headers, body)
end
response = function(status) if status == 200 then ok = ok + 1 end end
done = function(summary, latency)
  local total = 0
  for _, t in ipairs(common.threads) do total = total + t:get("ok") end
  common.done(summary, latency, string.format('"ok":%d', total))
end
