/**
 * The upstream of the gateway benchmark, run in a worker thread so that it has an event loop
 * (and, on a machine with two cores, a core) of its own, as an upstream on another host would:
 * in the main thread its cost would be added to both sides of the comparison and flatter the
 * ratio. A node:http hello: 200 with a 5-byte body. It counts requests, and those that carried
 * every expected header with its expected value (compared here, never printed).
 *
 * Messages: in "counts" → out { requests, carried }; in "close" → the server closes.
 * First message out: { port }.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parentPort, workerData } from "node:worker_threads";

export interface UpstreamData {
  /** Header name (lowercase) → the value every proxied request should carry. */
  expected: Record<string, string>;
}

export interface UpstreamCounts {
  requests: number;
  carried: number;
}

const port = parentPort;
if (port === null) throw new Error("gateway-upstream.js runs as a worker thread");
const expected = Object.entries((workerData as UpstreamData).expected);
const BODY = "hello";
let requests = 0;
let carried = 0;

const server = createServer((req, res) => {
  requests++;
  let all = true;
  for (const [name, value] of expected) if (req.headers[name] !== value) all = false;
  if (all) carried++;
  res.writeHead(200, { "content-type": "text/plain", "content-length": BODY.length });
  res.end(BODY);
});

server.listen(0, "127.0.0.1", () => {
  port.postMessage({ port: (server.address() as AddressInfo).port });
});

port.on("message", (message: unknown) => {
  if (message === "counts") {
    port.postMessage({ requests, carried } satisfies UpstreamCounts);
  } else if (message === "close") {
    server.close(() => port.close());
    server.closeAllConnections();
  }
});
