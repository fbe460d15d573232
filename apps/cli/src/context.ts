/** What every command gets: the environment, output, stdin, and a connection on demand. */
import { createCofferClient, type CofferClient } from "@coffer/client";
import { loadLogin } from "./config-file.js";
import type { CliEnv } from "./env.js";
import { CliError } from "./errors.js";
import { collectPages } from "./pages.js";
import { checkServerUrl } from "./server-url.js";
import type { Io } from "./output.js";

export interface Cli {
  env: CliEnv;
  io: Io;
  stdin: () => Promise<string>;
  connect(): Promise<{ client: CofferClient; url: string }>;
  /** What the process exits with on success (`run` passes its command's code). */
  exitCode: number;
  /** The server this run talks to, once known: failures name it. */
  target?: string;
}

export function createCli(env: CliEnv, io: Io, stdin: () => Promise<string>): Cli {
  return {
    env,
    io,
    stdin,
    exitCode: 0,
    async connect() {
      const saved = await loadLogin(env.configDir);
      const rawUrl = env.url ?? saved.url;
      const token = env.token ?? saved.token;
      if (rawUrl === undefined || token === undefined) {
        throw new CliError(
          "not logged in: run `coffer login [--url URL]` (it asks for the token), or set COFFER_URL and COFFER_TOKEN",
        );
      }
      const url = checkServerUrl(
        rawUrl,
        env.url !== undefined ? "COFFER_URL" : "the saved login's url",
      );
      this.target = url;
      return { client: createCofferClient({ url, token, timeoutMs: 15_000 }), url };
    },
  };
}

/** `secret:NAME` (Neu.ro), `NAME`, `OWNER/NAME` or a URI, with `--owner` for a bare NAME. */
export function secretRef(text: string, owner?: string): string {
  const ref =
    text.startsWith("secret:") && !text.startsWith("secret://")
      ? text.slice("secret:".length)
      : text;
  return owner !== undefined && !ref.includes("/") ? `${owner}/${ref}` : ref;
}

type SecretList = Awaited<ReturnType<CofferClient["secret"]["list"]["query"]>>["items"];

/** Every secret the caller can list (optionally one owner's, or only those shared), all pages. */
export function listAllSecrets(
  client: CofferClient,
  { owner, shared }: { owner?: string | undefined; shared?: boolean | undefined } = {},
): Promise<SecretList> {
  return collectPages((page) =>
    client.secret.list.query({
      ...page,
      ...(owner !== undefined ? { owner } : {}),
      ...(shared ? { shared: true } : {}),
    }),
  );
}
