/**
 * The Coffer server's built main.js as a child process, on 127.0.0.1 and a free port, ready
 * once it says where it listens (and, on an org's first start, has printed the admin token).
 * The caller passes the path of main.js: the kit does not depend on the server package.
 */
import { spawnNode, type NodeChild } from "./child-process.js";

/** The info log line, or the first start's hint (printed at any log level). */
const URL_RE = /(?:Coffer is listening on|--url) (http:\/\/[^,"\s]+)/;
const TOKEN_RE = /shown only this once:\s+(\S+)\s/;

export interface CofferProcessOptions {
  /** COFFER_DATA_DIR (PGlite's files without DATABASE_URL, root.key). */
  dataDir: string;
  /** Wait for the admin token too (printed on the first start of an org only); default true. */
  expectToken?: boolean;
  /** COFFER_PORT; default 0, a free one. */
  port?: number;
  /** COFFER_LOG_LEVEL; default info. */
  logLevel?: string;
  /** More environment (DATABASE_URL, say); over the defaults above. */
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface CofferProcess extends NodeChild {
  url: string;
  port: number;
  /** Set when this start printed it (a first start). */
  adminToken: string | undefined;
}

/** Starts `node main` (the server's dist/main.js) and waits until it listens. */
export function spawnCoffer(
  main: string,
  options: CofferProcessOptions & { expectToken?: true },
): Promise<CofferProcess & { adminToken: string }>;
export function spawnCoffer(main: string, options: CofferProcessOptions): Promise<CofferProcess>;
export async function spawnCoffer(
  main: string,
  options: CofferProcessOptions,
): Promise<CofferProcess> {
  const expectToken = options.expectToken ?? true;
  const started = await spawnNode(main, {
    env: {
      COFFER_HOST: "127.0.0.1",
      COFFER_PORT: String(options.port ?? 0),
      COFFER_DATA_DIR: options.dataDir,
      COFFER_LOG_LEVEL: options.logLevel ?? "info",
      ...options.env,
    },
    ready: expectToken ? [URL_RE, TOKEN_RE] : [URL_RE],
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  const url = started.matches[0]!;
  return {
    ...started,
    url,
    port: Number(new URL(url).port),
    adminToken: expectToken ? started.matches[1] : TOKEN_RE.exec(started.output())?.[1],
  };
}
