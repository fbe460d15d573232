/** An HTTP or TCP server listening on a free port of 127.0.0.1, and its closing. */
import type { Server as HttpServer } from "node:http";
import { createServer, type AddressInfo, type Server as NetServer } from "node:net";

/** Listens on `port` of 127.0.0.1 (0: a free one) and returns the port. */
export function listenOn(server: NetServer, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export interface Listening<S extends HttpServer = HttpServer> {
  url: string;
  server: S;
  /** Closes the server and every connection it holds. */
  close: () => Promise<void>;
}

/** An HTTP server on a free port: its URL, and a close that does not wait for keep-alives. */
export async function listen<S extends HttpServer>(server: S): Promise<Listening<S>> {
  const port = await listenOn(server);
  return {
    url: `http://127.0.0.1:${port}`,
    server,
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
  const port = await listenOn(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
