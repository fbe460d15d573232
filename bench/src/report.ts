/**
 * Runs candidate/baseline pairs with tinybench in one process and prints throughput ratios.
 * Each pair is measured in several alternating rounds and the median ratio is reported,
 * so that a slow moment of the machine does not land on one side only. Operations of a few
 * microseconds are timed in batches (BATCH calls per sample, both sides alike): timing each
 * call on its own adds the timer's overhead and noise to what is measured.
 */
import os from "node:os";
import { Bench } from "tinybench";

export interface Pair {
  name: string;
  baseline: { name: string; fn: () => unknown };
  candidate: { name: string; fn: () => unknown };
  /** The ratio candidate/baseline the issue asks for, if any. */
  target?: number;
}

export interface PairResult {
  name: string;
  baselineName: string;
  candidateName: string;
  baselineOps: number;
  candidateOps: number;
  ratio: number;
  /** The lowest and highest per-round ratio: the spread to read the median against. */
  ratioRange: [number, number];
  target?: number;
}

const BATCH = 100;

const batched =
  (fn: () => unknown): (() => void) =>
  () => {
    for (let i = 0; i < BATCH; i++) fn();
  };

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function opsPerSecond(bench: Bench, name: string): number {
  const task = bench.getTask(name);
  const result = task?.result;
  if (!result || !("period" in result)) throw new Error(`task ${name} did not complete`);
  return (1000 / result.period) * BATCH;
}

export async function runPairs(
  pairs: readonly Pair[],
  rounds = 3,
  timeMs = 400,
): Promise<PairResult[]> {
  const results: PairResult[] = [];
  for (const pair of pairs) {
    const base: number[] = [];
    const cand: number[] = [];
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const bench = new Bench({ time: timeMs, warmupTime: 100 });
      const order =
        round % 2 === 0 ? [pair.baseline, pair.candidate] : [pair.candidate, pair.baseline];
      for (const task of order) bench.add(task.name, batched(task.fn));
      await bench.run();
      const b = opsPerSecond(bench, pair.baseline.name);
      const c = opsPerSecond(bench, pair.candidate.name);
      base.push(b);
      cand.push(c);
      ratios.push(c / b);
    }
    const result: PairResult = {
      name: pair.name,
      baselineName: pair.baseline.name,
      candidateName: pair.candidate.name,
      baselineOps: median(base),
      candidateOps: median(cand),
      ratio: median(ratios),
      ratioRange: [Math.min(...ratios), Math.max(...ratios)],
    };
    if (pair.target !== undefined) result.target = pair.target;
    results.push(result);
  }
  return results;
}

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");

export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  return `${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

/** A Markdown table, ready to paste into bench/RESULTS.md. */
export function printPairs(title: string, results: readonly PairResult[]): void {
  console.log(`\n### ${title}\n`);
  console.log(`Machine: ${machine()}\n`);
  console.log(
    "| case | baseline ops/s | Coffer ops/s | ratio (median) | range over rounds | target |",
  );
  console.log("|---|---:|---:|---:|---|---|");
  for (const r of results) {
    const target =
      r.target === undefined ? "" : `≥ ${r.target}× ${r.ratio >= r.target ? "met" : "MISSED"}`;
    console.log(
      `| ${r.name} | ${fmt(r.baselineOps)} (${r.baselineName}) | ${fmt(r.candidateOps)} | ${r.ratio.toFixed(2)}× | ${r.ratioRange[0].toFixed(2)}–${r.ratioRange[1].toFixed(2)} | ${target} |`,
    );
  }
}

export interface Throughput {
  name: string;
  fn: () => unknown;
}

export async function runThroughput(
  title: string,
  tasks: readonly Throughput[],
  timeMs = 400,
): Promise<void> {
  const bench = new Bench({ time: timeMs, warmupTime: 100 });
  for (const t of tasks) bench.add(t.name, batched(t.fn));
  await bench.run();
  console.log(`\n### ${title}\n`);
  console.log("| case | ops/s | µs/op |");
  console.log("|---|---:|---:|");
  for (const t of tasks) {
    const ops = opsPerSecond(bench, t.name);
    console.log(`| ${t.name} | ${fmt(ops)} | ${(1e6 / ops).toFixed(2)} |`);
  }
}

/** CPU time of every core since boot, busy and in all (for busy-core fractions over a window). */
export function machineTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    const all = t.user + t.nice + t.sys + t.idle + t.irq;
    busy += all - t.idle;
    total += all;
  }
  return { busy, total };
}
