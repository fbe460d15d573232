/**
 * `coffer run --all` benchmark (issue 16): wall time of `coffer run --all bench -- node -e 0`
 * with 100 secrets under one owner against `node -e 0` alone, alternating in the same run, and
 * the HTTP requests one run makes (a counting proxy in front of the server): one `secret.list`
 * (metadata) and one request for every value. Target: one round trip of reveals, at most
 * 300 ms more than `node -e 0`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createCofferClient } from "@coffer/client";
import { createLogger, readConfig, startServer } from "@coffer/server";
import { countingProxy, median, timeIt, timingTable } from "./child-timing.js";
import { machine } from "./report.js";

const BIN = fileURLToPath(new URL("../../apps/cli/dist/coffer.js", import.meta.url));
const RUNS = 15;
const SECRETS = 100;

const dir = await mkdtemp(path.join(os.tmpdir(), "coffer-run-bench-"));
const server = await startServer(readConfig({ COFFER_PORT: "0", COFFER_DATA_DIR: dir }, dir), {
  jobs: false,
  log: createLogger({ logLevel: "silent" }),
});
const proxy = await countingProxy(server.url);

try {
  const admin = createCofferClient({ url: server.url, token: server.adminToken! });
  await admin.team.create.mutate({ name: "bench" });
  await Promise.all(
    Array.from({ length: SECRETS }, (_, i) =>
      admin.secret.create.mutate({ secret: `bench/v_${i}`, value: `fake-bench-value-${i}` }),
    ),
  );
  const env = { PATH: process.env["PATH"] ?? "", HOME: dir };
  const cofferEnv = { ...env, COFFER_URL: proxy.url, COFFER_TOKEN: server.adminToken! };
  const node = [process.execPath, "-e", "0"];
  const runArgs = [BIN, "run", "--all", "bench", "--", ...node];
  // The same values named one by one: no listing, so the difference is what --all costs.
  const envArgs = [
    BIN,
    "run",
    ...Array.from({ length: SECRETS }, (_, i) => ["-e", `V_${i}=bench/v_${i}`]).flat(),
    "--",
    ...node,
  ];
  // Warm the file cache and the server's keys once each.
  await timeIt(process.execPath, ["-e", "0"], env);
  await timeIt(process.execPath, runArgs, cofferEnv);
  proxy.reset();
  const baseline: number[] = [];
  const coffer: number[] = [];
  const explicit: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    baseline.push(await timeIt(process.execPath, ["-e", "0"], env));
    coffer.push(await timeIt(process.execPath, runArgs, cofferEnv));
  }
  const counted = { ...proxy, requests: proxy.requests, procedures: new Map(proxy.procedures) };
  for (let i = 0; i < RUNS; i++) explicit.push(await timeIt(process.execPath, envArgs, cofferEnv));
  const perRun = (n: number | undefined): number => (n ?? 0) / RUNS;
  const reveals = perRun(counted.procedures.get("secret.batchReveal"));
  const lists = perRun(counted.procedures.get("secret.list"));
  const requests = perRun(counted.requests);
  const { table, extra } = timingTable(
    { name: "node -e 0", ms: baseline },
    { name: `coffer run --all bench (${SECRETS} secrets) -- node -e 0`, ms: coffer },
  );
  console.log(`\n### coffer run --all with ${SECRETS} secrets\n`);
  console.log(`Machine: ${machine()}\n`);
  console.log(table);
  console.log(
    `\nExtra over node -e 0: ${extra.toFixed(0)} ms (target ≤ 300 ms: ${extra <= 300 ? "met" : "MISSED"}); ` +
      `HTTP requests per run: ${requests} (${lists} secret.list, ${reveals} secret.batchReveal calls; ` +
      `reveal round trips: ${requests - lists}, target 1: ${requests - lists === 1 ? "met" : "MISSED"}); ` +
      `${RUNS} alternating runs each.`,
  );
  console.log(
    `The same ${SECRETS} values as -e V_i=bench/v_i (no listing): median ${median(explicit).toFixed(0)} ms, ` +
      `so --all's listing costs ${(median(coffer) - median(explicit)).toFixed(0)} ms.`,
  );
} finally {
  proxy.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
