/**
 * The steady load of the rotation benchmark, in a process of its own (forked, IPC): requests
 * through the gateway at an even pace (one every 1000/RATE ms, at most 8 in flight over
 * keep-alive connections) until told "stop", then
 * { requests2xx, non2xx, errors, seconds, p50, p99 } back.
 * Arguments: URL RATE (requests per second in all).
 *
 * Paced by hand on purpose: autocannon's `overallRate` sends each second's quota in a burst at
 * the start of the second and then waits, so a new value reached the upstream only at the next
 * second's burst, which added an even 0–1 s to every measured rotation (seen in the first runs).
 */
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";

export interface LoadResult {
  requests2xx: number;
  non2xx: number;
  errors: number;
  seconds: number;
  p50: number;
  p99: number;
}

const [url, rate] = process.argv.slice(2);
if (url === undefined || rate === undefined) throw new Error("usage: rotation-load.js URL RATE");
const IN_FLIGHT = 8;
const everyMs = 1000 / Number(rate);
const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
const latencies: number[] = [];
let requests2xx = 0;
let non2xx = 0;
let errors = 0;
let inFlight = 0;
let stopped = false;
const started = performance.now();

function send(): void {
  if (inFlight >= IN_FLIGHT) return; // the gateway is behind: skip this beat, as a client would wait
  inFlight++;
  const at = performance.now();
  const req = request(url!, { agent }, (res) => {
    res.resume();
    res.on("end", () => {
      inFlight--;
      latencies.push(performance.now() - at);
      if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) {
        requests2xx++;
      } else {
        non2xx++;
      }
    });
  });
  req.on("error", () => {
    inFlight--;
    errors++;
  });
  req.end();
}

// One beat per `everyMs` on average: the beats due since the last tick are sent at once (timers
// fire at 1 ms granularity at best).
let sent = 0;
const timer = setInterval(() => {
  const due = Math.floor((performance.now() - started) / everyMs);
  for (; sent < due && !stopped; sent++) send();
}, 1);

const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

process.send?.("started");
process.on("message", (message: unknown) => {
  if (message !== "stop") return;
  stopped = true;
  clearInterval(timer);
  const sorted = [...latencies].sort((a, b) => a - b);
  const result: LoadResult = {
    requests2xx,
    non2xx,
    errors,
    seconds: Math.round((performance.now() - started) / 1000),
    p50: Math.round(percentile(sorted, 0.5) * 10) / 10,
    p99: Math.round(percentile(sorted, 0.99) * 10) / 10,
  };
  agent.destroy();
  process.send?.(result, () => process.exit(0));
});
