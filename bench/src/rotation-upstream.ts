/**
 * The upstream of the rotation benchmark, in a process of its own (forked, with an IPC
 * channel): a node:http hello that watches the header the gateway injects. It keeps a hash of
 * every value it has seen (never a value, never printed); the first request carrying a value
 * it has not seen before is a rotation arriving, and its time (ms since the epoch, sub-ms
 * precision, comparable across processes on one machine) goes to the parent at once.
 *
 * Argument: the header's name. Messages in: "counts" → { type: "counts", requests, missing, changes }; "close".
 * Out: { type: "listening", port } first, then { type: "changed", at, changes } per new value.
 */
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export type UpstreamMessage =
  | { type: "listening"; port: number }
  | { type: "changed"; at: number; changes: number }
  | { type: "counts"; requests: number; missing: number; changes: number };

const send = (message: UpstreamMessage): void => {
  process.send?.(message);
};

const header = process.argv[2];
if (header === undefined) throw new Error("usage: rotation-upstream.js HEADER");
const BODY = "hello";
const seen = new Set<string>();
let requests = 0;
let missing = 0;
let changes = 0;

const server = createServer((req, res) => {
  requests++;
  const value = req.headers[header];
  if (typeof value !== "string" || value === "") {
    missing++;
  } else {
    const hash = createHash("sha256").update(value).digest("base64");
    if (!seen.has(hash)) {
      seen.add(hash);
      if (seen.size > 1) {
        changes++;
        send({ type: "changed", at: performance.timeOrigin + performance.now(), changes });
      }
    }
  }
  res.writeHead(200, { "content-type": "text/plain", "content-length": BODY.length });
  res.end(BODY);
});

server.listen(0, "127.0.0.1", () => {
  send({ type: "listening", port: (server.address() as AddressInfo).port });
});

process.on("message", (message: unknown) => {
  if (message === "counts") send({ type: "counts", requests, missing, changes });
  else if (message === "close") {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  }
});
