/**
 * CLI benchmark (issue 4): wall time of `coffer run --env … (20 secrets) -- true` against
 * `node -e 0` in the same run, and how many HTTP requests `coffer run` makes (counted by a
 * proxy in front of the server). Target: one request, at most 300 ms more than `node -e 0`.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createCofferClient } from "@coffer/client";
import { createLogger, readConfig, startServer } from "@coffer/server";
import { machine } from "./report.js";

const BIN = fileURLToPath(new URL("../../apps/cli/dist/coffer.js", import.meta.url));
const RUNS = 15;
const SECRETS = 20;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Wall time of one command, in ms (asynchronous: the server answers from this same process). */
function timeIt(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    execFile(file, args, { env }, (error, _stdout, stderr) => {
      if (error)
        reject(new Error(`${path.basename(args[0] ?? file)} failed: ${stderr.slice(0, 300)}`));
      else resolve(Number(process.hrtime.bigint() - started) / 1e6);
    });
  });
}

const dir = await mkdtemp(path.join(os.tmpdir(), "coffer-cli-bench-"));
const server = await startServer(readConfig({ COFFER_PORT: "0", COFFER_DATA_DIR: dir }, dir), {
  jobs: false,
  log: createLogger({ logLevel: "silent" }),
});
let requests = 0;
const target = new URL(server.url);
const proxy = http.createServer((req, res) => {
  requests++;
  const upstream = http.request(
    {
      host: target.hostname,
      port: target.port,
      path: req.url,
      method: req.method,
      headers: req.headers,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  req.pipe(upstream);
});
await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

try {
  const admin = createCofferClient({ url: server.url, token: server.adminToken! });
  for (let i = 0; i < SECRETS; i++) {
    await admin.secret.create.mutate({ secret: `bench_${i}`, value: `fake-bench-value-${i}` });
  }
  const env = {
    PATH: process.env["PATH"] ?? "",
    HOME: dir,
    COFFER_URL: proxyUrl,
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
  requests = 0;
  const node: number[] = [];
  const coffer: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    node.push(await timeIt(process.execPath, ["-e", "0"], env));
    coffer.push(await timeIt(process.execPath, runArgs, env));
  }
  const perRun = requests / RUNS;
  const extra = median(coffer) - median(node);
  console.log(`\n### coffer run with ${SECRETS} secrets\n`);
  console.log(`Machine: ${machine()}\n`);
  console.log("| command | median ms | min ms | max ms |");
  console.log("|---|---:|---:|---:|");
  console.log(
    `| node -e 0 | ${median(node).toFixed(0)} | ${Math.min(...node).toFixed(0)} | ${Math.max(...node).toFixed(0)} |`,
  );
  console.log(
    `| coffer run --env ×${SECRETS} -- true | ${median(coffer).toFixed(0)} | ${Math.min(...coffer).toFixed(0)} | ${Math.max(...coffer).toFixed(0)} |`,
  );
  console.log(
    `\nExtra over node -e 0: ${extra.toFixed(0)} ms (target ≤ 300 ms: ${extra <= 300 ? "met" : "MISSED"}); ` +
      `HTTP requests per run: ${perRun} (target 1: ${perRun === 1 ? "met" : "MISSED"}); ${RUNS} alternating runs each.`,
  );
} finally {
  proxy.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
