-- user.whoami as packages/client sends it (httpBatchLink: a batch of one), bearer COFFER_TOKEN.
-- COFFER_TOKEN=... wrk -t2 -c50 -d10s -s fastpath-whoami.lua http://127.0.0.1:PORT
wrk.method = "GET"
wrk.path = "/trpc/user.whoami?batch=1&input=%7B%7D"
wrk.headers["authorization"] = "Bearer " .. os.getenv("COFFER_TOKEN")
