/**
 * Timing whole processes (the CLI and the Action start fresh each time) against `node -e 0`,
 * and counting the HTTP requests they make through a proxy in front of the server.
 */
import { execFile } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

export const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Wall time of one command, in ms (asynchronous: the server answers from this same process). */
export function timeIt(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, maxBuffer: 64 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error)
        reject(new Error(`${path.basename(args[0] ?? file)} failed: ${stderr.slice(0, 300)}`));
      else resolve(Number(process.hrtime.bigint() - started) / 1e6);
    });
  });
}

export interface CountingProxy {
  url: string;
  /** Requests seen, and the tRPC procedures named in their paths (a batch names several). */
  requests: number;
  procedures: Map<string, number>;
  reset(): void;
  close(): void;
}

/** A plain HTTP proxy to `target` that counts what passes. */
export async function countingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const counts: CountingProxy = {
    url: "",
    requests: 0,
    procedures: new Map(),
    reset() {
      counts.requests = 0;
      counts.procedures.clear();
    },
    close: () => server.close(),
  };
  const server = http.createServer((req, res) => {
    counts.requests++;
    const [, names = ""] = /^\/trpc\/([^?]*)/.exec(req.url ?? "") ?? [];
    for (const name of names.split(",").filter(Boolean)) {
      counts.procedures.set(name, (counts.procedures.get(name) ?? 0) + 1);
    }
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  counts.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return counts;
}

export interface Timings {
  name: string;
  ms: number[];
}

/** The Markdown table of the runs, and the extra median time of `candidate` over `baseline`. */
export function timingTable(
  baseline: Timings,
  candidate: Timings,
): { table: string; extra: number } {
  const row = (t: Timings) =>
    `| ${t.name} | ${median(t.ms).toFixed(0)} | ${Math.min(...t.ms).toFixed(0)} | ${Math.max(...t.ms).toFixed(0)} |`;
  return {
    table: [
      "| command | median ms | min ms | max ms |",
      "|---|---:|---:|---:|",
      row(baseline),
      row(candidate),
    ].join("\n"),
    extra: median(candidate.ms) - median(baseline.ms),
  };
}
