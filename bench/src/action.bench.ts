/**
 * Action benchmark (issue 6): wall time of the committed bundle (`apps/action/dist/index.js`,
 * run as the runner runs it: `node`, INPUT_* variables, GITHUB_ENV/OUTPUT/STATE files)
 * fetching 50 references from a local server, against `node -e 0` in the same run, and the
 * HTTP requests it makes (counted by a proxy in front of the server). Target: at most 300 ms
 * more than `node -e 0`, and one reveal round trip.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createCofferClient } from "@coffer/client";
import { createLogger, readConfig, startServer } from "@coffer/server";
import { countingProxy, timeIt, timingTable } from "./child-timing.js";
import { machine } from "./report.js";

const BUNDLE = fileURLToPath(new URL("../../apps/action/dist/index.js", import.meta.url));
const RUNS = 15;
const REFERENCES = 50;

const dir = await mkdtemp(path.join(os.tmpdir(), "coffer-action-bench-"));
const server = await startServer(readConfig({ COFFER_PORT: "0", COFFER_DATA_DIR: dir }, dir), {
  jobs: false,
  log: createLogger({ logLevel: "silent" }),
});
const proxy = await countingProxy(server.url);
const files = {
  GITHUB_ENV: path.join(dir, "github_env"),
  GITHUB_OUTPUT: path.join(dir, "github_output"),
  GITHUB_STATE: path.join(dir, "github_state"),
};
const emptyRunnerFiles = () => Promise.all(Object.values(files).map((f) => writeFile(f, "")));

try {
  const admin = createCofferClient({ url: server.url, token: server.adminToken! });
  await admin.team.create.mutate({ name: "ml" });
  for (let i = 0; i < REFERENCES; i++) {
    await admin.secret.create.mutate({ secret: `ml/bench_${i}`, value: `fake-bench-value-${i}` });
  }
  const env = {
    PATH: process.env["PATH"] ?? "",
    HOME: dir,
    RUNNER_TEMP: dir,
    ...files,
    INPUT_URL: proxy.url,
    INPUT_TOKEN: server.adminToken!,
    INPUT_METHOD: "token",
    INPUT_SECRETS: Array.from({ length: REFERENCES }, (_, i) => `ml/bench_${i} > V${i}`).join("\n"),
    "INPUT_EXPORT-ENV": "true",
    INPUT_OUTPUTS: "false",
    "INPUT_IGNORE-MISSING": "false",
  };
  // Warm the file cache and the server's keys once each.
  await timeIt(process.execPath, ["-e", "0"], env);
  await emptyRunnerFiles();
  await timeIt(process.execPath, [BUNDLE], env);
  proxy.reset();
  const node: number[] = [];
  const action: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    node.push(await timeIt(process.execPath, ["-e", "0"], env));
    await emptyRunnerFiles();
    action.push(await timeIt(process.execPath, [BUNDLE], env));
  }
  const perRun = proxy.requests / RUNS;
  const reveals = (proxy.procedures.get("secret.batchReveal") ?? 0) / RUNS;
  const { table, extra } = timingTable(
    { name: "node -e 0", ms: node },
    { name: `node dist/index.js (${REFERENCES} references)`, ms: action },
  );
  console.log(`\n### The Action fetching ${REFERENCES} references\n`);
  console.log(`Machine: ${machine()}\n`);
  console.log(table);
  console.log(
    `\nExtra over node -e 0: ${extra.toFixed(0)} ms (target ≤ 300 ms: ${extra <= 300 ? "met" : "MISSED"}); ` +
      `HTTP requests per run: ${perRun}, batchReveal calls per run: ${reveals} (target one reveal round trip: ${perRun === 1 ? "met" : "MISSED"}); ${RUNS} alternating runs each.`,
  );
} finally {
  proxy.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
