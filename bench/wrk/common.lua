-- Shared by the benchmark's wrk scripts (bench/src/http.bench.ts runs them).
-- Environment: COFFER_BENCH_TOKEN (bearer token, never printed), COFFER_WRK_OUT (a file the
-- summary is written to, as JSON, for the benchmark to read).
local common = {}

common.headers = {
  ["content-type"] = "application/json",
  ["authorization"] = "Bearer " .. (os.getenv("COFFER_BENCH_TOKEN") or ""),
}

-- Every thread, so that done() can read their counters (wrk gives each thread its own Lua state).
common.threads = {}
local next_id = 0
function common.setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(common.threads, thread)
end

-- The summary as one JSON object; `extra` (a string of JSON members, or nil) is appended.
function common.done(summary, latency, extra)
  local e = summary.errors
  local json = string.format(
    '{"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d%s}',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout, extra and ("," .. extra) or "")
  local out = os.getenv("COFFER_WRK_OUT")
  if out then
    local f = assert(io.open(out, "w"))
    f:write(json)
    f:close()
  end
end

return common
