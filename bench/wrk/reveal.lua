-- POST /trpc/secret.reveal of one secret (tRPC: mutations are POSTs of the input as JSON).
local common = dofile(os.getenv("COFFER_WRK_DIR") .. "/common.lua")
local req
-- Built in init: wrk.host (the Host header) is not known while the script loads.
init = function()
  req = wrk.format("POST", "/trpc/secret.reveal", common.headers,
    '{"secret":"' .. os.getenv("COFFER_WRK_SECRET") .. '"}')
end
setup = common.setup
request = function() return req end
done = function(summary, latency) common.done(summary, latency) end
