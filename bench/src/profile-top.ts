/**
 * The top of a V8 CPU profile (`node --cpu-prof`, e.g. from `COFFER_BENCH_CPU_PROF=<dir>` of
 * the HTTP benchmark): self time by package (node_modules/<name>, node: internals, Coffer's own
 * code, the garbage collector, idle) and by function.
 * Run: `node bench/dist/profile-top.js <file.cpuprofile> [functions to list]`.
 */
import { readFile } from "node:fs/promises";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code comes from. */
function packageOf(url: string, name: string): string {
  if (name === "(garbage collector)" || name === "(idle)" || name === "(program)") return name;
  const modules = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1]!;
  if (url.startsWith("node:") || url === "") return "node internals (and native)";
  if (/\/(apps|packages)\//.test(url))
    return `coffer: ${/\/(apps|packages)\/([^/]+)/.exec(url)![2]}`;
  return url;
}

const [file, top = "25"] = process.argv.slice(2);
if (file === undefined) throw new Error("usage: profile-top.js <file.cpuprofile> [n]");
const profile = JSON.parse(await readFile(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) =>
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)),
);
let total = 0;
const packages = new Map<string, number>();
const functions = new Map<string, number>();
for (const [id, us] of self) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  total += us;
  const pkg = packageOf(url, functionName);
  packages.set(pkg, (packages.get(pkg) ?? 0) + us);
  const fn = `${functionName || "(anonymous)"} ${url.replace(/^.*node_modules\//, "")}:${lineNumber + 1}`;
  functions.set(fn, (functions.get(fn) ?? 0) + us);
}
const busy = total - (packages.get("(idle)") ?? 0);
const show = (title: string, m: Map<string, number>, n: number): void => {
  console.log(`\n| ${title} | self ms | share of busy time |\n|---|---:|---:|`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    if (k === "(idle)") continue;
    console.log(`| ${k} | ${(us / 1000).toFixed(0)} | ${((us / busy) * 100).toFixed(1)}% |`);
  }
};
console.log(`profile: ${(total / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(1)} s`);
show("package", packages, 20);
show("function", functions, Number(top));
