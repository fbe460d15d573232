/**
 * The steady load of the rotation benchmark, in a process of its own (forked, IPC):
 * autocannon at a fixed overall rate through the gateway until told "stop", then
 * { requests2xx, non2xx, errors, seconds, p50, p99 } back.
 * Arguments: URL RATE (requests per second in all).
 */
import autocannon from "autocannon";

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

const instance = autocannon(
  { url, connections: 8, overallRate: Number(rate), duration: 3600 },
  (err, r) => {
    if (err) throw err;
    const result: LoadResult = {
      requests2xx: r["2xx"],
      non2xx: r.non2xx,
      errors: r.errors + r.timeouts,
      seconds: r.duration,
      p50: r.latency.p50,
      p99: r.latency.p99,
    };
    process.send?.(result, () => process.exit(0));
  },
);
process.send?.("started");
process.on("message", (message: unknown) => {
  if (message === "stop") instance.stop();
});
