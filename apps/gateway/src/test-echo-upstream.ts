/**
 * An upstream for tests: answers every request with JSON of what it received (method, url,
 * headers, raw header names, body length and SHA-256, and the body itself when small).
 * `/-/bytes/N` streams N bytes back instead; `/-/hang` never answers (to test aborts).
 */
import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Echo {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaderNames: string[];
  bodyLength: number;
  bodySha256: string;
  /** The body as UTF-8 text, when at most 64 KiB. */
  body?: string;
}

export interface EchoUpstream {
  url: string;
  server: Server;
  /** "data" (url) on a request's first body chunk; "aborted" (url) when a client went away. */
  events: EventEmitter;
  close(): Promise<void>;
}

const SMALL = 64 * 1024;

export async function startEchoUpstream(): Promise<EchoUpstream> {
  const events = new EventEmitter();
  const server = createServer((req, res) => {
    const url = req.url ?? "/";
    res.once("close", () => {
      if (!res.writableFinished) events.emit("aborted", url);
    });
    const bytes = /^\/-\/bytes\/(\d+)$/.exec(url);
    if (bytes !== null) {
      const total = Number(bytes[1]);
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      res.writeHead(200, { "content-type": "application/octet-stream" });
      let sent = 0;
      const pump = (): void => {
        while (sent < total) {
          const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
          sent += piece.length;
          if (!res.write(piece)) {
            res.once("drain", pump);
            return;
          }
        }
        res.end();
      };
      pump();
      return;
    }
    if (url === "/-/hang") {
      req.resume();
      return;
    }
    const hash = createHash("sha256");
    const small: Buffer[] = [];
    let length = 0;
    req.on("data", (chunk: Buffer) => {
      if (length === 0) events.emit("data", url);
      length += chunk.length;
      hash.update(chunk);
      if (length <= SMALL) small.push(chunk);
    });
    req.on("end", () => {
      const echo: Echo = {
        method: req.method ?? "",
        url,
        headers: req.headers,
        rawHeaderNames: req.rawHeaders.filter((_, i) => i % 2 === 0),
        bodyLength: length,
        bodySha256: hash.digest("hex"),
      };
      if (length <= SMALL) echo.body = Buffer.concat(small).toString("utf8");
      const text = JSON.stringify(echo);
      res.writeHead(200, {
        "content-type": "application/json",
        // Hop-by-hop headers the gateway must not pass back to its client.
        connection: "keep-alive, x-upstream-hop",
        "x-upstream-hop": "1",
        "keep-alive": "timeout=99",
        "proxy-authenticate": "Basic",
        "x-upstream-end-to-end": "kept",
      });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    events,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A port nothing listens on (bound, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
