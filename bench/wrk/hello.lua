-- The baseline: a bare GET /, no headers beyond wrk's own, no response parsing.
local common = dofile(os.getenv("COFFER_WRK_DIR") .. "/common.lua")
done = function(summary, latency) common.done(summary, latency) end
