/**
 * An upstream for tests: answers every request with JSON of what it received (method, url,
 * headers, raw header names, body length and SHA-256, the body itself when small, and parsed
 * when it is JSON). `/-/bytes/N` streams N bytes back instead; `/-/hang` never answers (to
 * test aborts). Its answers carry hop-by-hop headers a proxy must not pass back.
 */
import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import { listen, type Listening } from "./listen.js";

export interface Echo {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaderNames: string[];
  bodyLength: number;
  bodySha256: string;
  /** The body as UTF-8 text, when at most 64 KiB. */
  body?: string;
  /** The body parsed, when it is JSON of at most 64 KiB. */
  json?: unknown;
}

export interface EchoUpstream extends Listening {
  /** "data" (url) on a request's first body chunk; "aborted" (url) when a client went away. */
  events: EventEmitter;
}

const SMALL = 64 * 1024;

function streamBytes(res: ServerResponse, total: number): void {
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
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export async function startEchoUpstream(): Promise<EchoUpstream> {
  const events = new EventEmitter();
  const server = createServer((req, res) => {
    const url = req.url ?? "/";
    res.once("close", () => {
      if (!res.writableFinished) events.emit("aborted", url);
    });
    const bytes = /^\/-\/bytes\/(\d+)$/.exec(url);
    if (bytes !== null) return streamBytes(res, Number(bytes[1]));
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
      if (length <= SMALL) {
        echo.body = Buffer.concat(small).toString("utf8");
        const json = parsed(echo.body);
        if (json !== undefined) echo.json = json;
      }
      res.writeHead(200, {
        "content-type": "application/json",
        // Hop-by-hop headers a proxy must not pass back to its client.
        connection: "keep-alive, x-upstream-hop",
        "x-upstream-hop": "1",
        "keep-alive": "timeout=99",
        "proxy-authenticate": "Basic",
        "x-upstream-end-to-end": "kept",
      });
      res.end(JSON.stringify(echo));
    });
  });
  return { ...(await listen(server)), events };
}
