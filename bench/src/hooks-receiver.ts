/**
 * The receiver of the hooks benchmark, in a process of its own (forked, with an IPC channel):
 * a node:http server answering 204 to every POST and reporting each arrival to the parent:
 * its time (ms since the epoch, sub-ms, comparable across processes on one machine), the path
 * (one per hook), the `webhook-id`, and the event it carries (`id`, and the secret's URI and
 * version, from the default event body or the benchmark's templated one). It never reports a
 * header value other than the id, and keeps no value.
 *
 * Out: { type: "listening", port } first, then batches { type: "arrivals", items } every 20 ms.
 * In: "close".
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface Arrival {
  at: number;
  path: string;
  webhookId: string;
  event: string;
  uri: string;
  version: number;
}

export type ReceiverMessage =
  { type: "listening"; port: number } | { type: "arrivals"; items: Arrival[] };

interface Body {
  id?: string;
  uri?: string;
  version?: string | number;
  data?: { secret?: { uri?: string; version?: number } };
}

let pending: Arrival[] = [];
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const at = performance.timeOrigin + performance.now();
    res.writeHead(204).end();
    let body: Body = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Body;
    } catch {
      // counted with an empty event id
    }
    pending.push({
      at,
      path: req.url ?? "",
      webhookId: String(req.headers["webhook-id"] ?? ""),
      event: body.id ?? "",
      uri: body.data?.secret?.uri ?? body.uri ?? "",
      version: Number(body.data?.secret?.version ?? body.version ?? 0),
    });
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  process.send?.({ type: "listening", port: (server.address() as AddressInfo).port });
});
const flush = setInterval(() => {
  if (pending.length === 0) return;
  process.send?.({ type: "arrivals", items: pending } satisfies ReceiverMessage);
  pending = [];
}, 20);
process.on("message", (m) => {
  if (m === "close") {
    clearInterval(flush);
    server.close(() => process.exit(0));
    server.closeAllConnections();
  }
});
