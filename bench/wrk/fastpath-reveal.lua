-- secret.reveal (a mutation) of COFFER_SECRET as packages/client sends it (a batch of one).
-- COFFER_TOKEN=... COFFER_SECRET=owner/name wrk -t2 -c50 -d10s -s fastpath-reveal.lua http://127.0.0.1:PORT
wrk.method = "POST"
wrk.path = "/trpc/secret.reveal?batch=1"
wrk.headers["authorization"] = "Bearer " .. os.getenv("COFFER_TOKEN")
wrk.headers["content-type"] = "application/json"
wrk.body = '{"0":{"secret":"' .. os.getenv("COFFER_SECRET") .. '"}}'
