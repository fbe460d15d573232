/**
 * Proxies on 127.0.0.1 that count what passes, between a program under test and what it calls:
 * - a TCP proxy counting connections, which can play a restart of what is behind it (`down()`
 *   drops every connection and stops listening, `up()` listens again on the same port);
 * - an HTTP proxy recording each request's `METHOD /path`.
 */
import { createServer, request } from "node:http";
import net from "node:net";
import { listen, listenOn } from "./listen.js";

export interface TcpProxy {
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  down: () => Promise<void>;
  up: () => Promise<void>;
  close: () => Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((client) => {
    accepted += 1;
    const upstream = net.connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      // Either side failing ends both; errors are what the program under test must cope with.
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const port = await listenOn(server);
  const down = async (): Promise<void> => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  return {
    port,
    get accepted() {
      return accepted;
    },
    down,
    up: async () => {
      await listenOn(server, port);
    },
    close: async () => {
      if (server.listening) await down();
      for (const socket of sockets) socket.destroy();
    },
  };
}

export interface CountingProxy {
  url: string;
  /** `METHOD /path` of every request so far (the query left out). */
  requests: string[];
  close: () => Promise<void>;
}

/** A forwarding HTTP proxy in front of `target` that records each request. */
export async function countingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${(req.url ?? "").split("?")[0]}`);
    const outgoing = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    outgoing.on("error", () => res.destroy());
    req.pipe(outgoing);
  });
  const { url, close } = await listen(server);
  return { url, requests, close };
}
