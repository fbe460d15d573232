/**
 * CLI benchmark (issue 4): wall time of `coffer run --env … (20 secrets) -- true` against
 * `node -e 0` in the same run, and how many HTTP requests `coffer run` makes (counted by a
 * proxy in front of the server). Target: one request, at most 300 ms more than `node -e 0`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createCofferClient } from "@coffer/client";
import { createLogger, readConfig, startServer } from "@coffer/server";
import { countingProxy, timeIt, timingTable } from "./child-timing.js";
import { machine } from "./report.js";

const BIN = fileURLToPath(new URL("../../apps/cli/dist/coffer.js", import.meta.url));
const RUNS = 15;
const SECRETS = 20;

const dir = await mkdtemp(path.join(os.tmpdir(), "coffer-cli-bench-"));
const server = await startServer(readConfig({ COFFER_PORT: "0", COFFER_DATA_DIR: dir }, dir), {
  jobs: false,
  log: createLogger({ logLevel: "silent" }),
});
const proxy = await countingProxy(server.url);

try {
  const admin = createCofferClient({ url: server.url, token: server.adminToken! });
  for (let i = 0; i < SECRETS; i++) {
    await admin.secret.create.mutate({ secret: `bench_${i}`, value: `fake-bench-value-${i}` });
  }
  const env = {
    PATH: process.env["PATH"] ?? "",
    HOME: dir,
    COFFER_URL: proxy.url,
    COFFER_TOKEN: server.adminToken!,
  };
  const runArgs = [
    BIN,
    "run",
    ...Array.from({ length: SECRETS }, (_, i) => ["--env", `V${i}=bench_${i}`]).flat(),
    "--",
    "true",
  ];
  // Warm the file cache and the server's keys once each.
  await timeIt(process.execPath, ["-e", "0"], env);
  await timeIt(process.execPath, runArgs, env);
  proxy.reset();
  const node: number[] = [];
  const coffer: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    node.push(await timeIt(process.execPath, ["-e", "0"], env));
    coffer.push(await timeIt(process.execPath, runArgs, env));
  }
  const perRun = proxy.requests / RUNS;
  const { table, extra } = timingTable(
    { name: "node -e 0", ms: node },
    { name: `coffer run --env ×${SECRETS} -- true`, ms: coffer },
  );
  console.log(`\n### coffer run with ${SECRETS} secrets\n`);
  console.log(`Machine: ${machine()}\n`);
  console.log(table);
  console.log(
    `\nExtra over node -e 0: ${extra.toFixed(0)} ms (target ≤ 300 ms: ${extra <= 300 ? "met" : "MISSED"}); ` +
      `HTTP requests per run: ${perRun} (target 1: ${perRun === 1 ? "met" : "MISSED"}); ${RUNS} alternating runs each.`,
  );
} finally {
  proxy.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
