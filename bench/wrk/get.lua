-- A GET of COFFER_WRK_PATH (the hello world, or a tRPC query with its ?input=), authenticated.
local common = dofile(os.getenv("COFFER_WRK_DIR") .. "/common.lua")
local req
-- Built in init: wrk.host (the Host header) is not known while the script loads.
init = function() req = wrk.format("GET", os.getenv("COFFER_WRK_PATH") or "/", common.headers) end
setup = common.setup
request = function() return req end
done = function(summary, latency) common.done(summary, latency) end
