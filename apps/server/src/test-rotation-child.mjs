/**
 * A server process for root-key rotation tests (test-rotation.ts forks it; the built dist/ is
 * run, as in production). It receives one message: where its data and database are, the
 * admin token, how many rotations to run at once, and optionally a step at which to SIGKILL
 * itself. It says when it has started, rotates on the next message, answers with each
 * rotation's outcome (if it is still alive), and exits.
 */
import process from "node:process";
import { Authenticator } from "../dist/auth/authenticate.js";
import { readConfig } from "../dist/env.js";
import { createLogger } from "../dist/logger.js";
import { startServer } from "../dist/server.js";

const META = { ip: "127.0.0.1", requestId: "rotation-child" };

process.once("message", (task) => {
  run(task).then(
    (outcomes) => process.send({ outcomes }, () => process.exit(0)),
    (error) => process.send({ error: String(error?.stack ?? error) }, () => process.exit(1)),
  );
});

async function run({ dataDir, databaseUrl, token, rotations, killAt }) {
  const env = { COFFER_PORT: "0", COFFER_DATA_DIR: dataDir, COFFER_LOG_LEVEL: "silent" };
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  const server = await startServer(readConfig(env, dataDir), {
    jobs: false,
    log: createLogger({ logLevel: "silent" }),
  });
  const actor = await new Authenticator(server.deps).authenticate(
    { authorization: `Bearer ${token}` },
    "127.0.0.1",
  );
  const onStep = (step) => {
    if (step === killAt) process.kill(process.pid, "SIGKILL");
  };
  // Started: rotate once told to (replicas start first, then rotate at the same time).
  await new Promise((resolve) => {
    process.once("message", resolve);
    process.send({ started: true });
  });
  const outcomes = await Promise.allSettled(
    Array.from({ length: rotations }, () => server.services.keys.rotateRoot(actor, META, onStep)),
  );
  await server.close();
  return outcomes.map((o) => (o.status === "fulfilled" ? "ok" : String(o.reason?.message)));
}
