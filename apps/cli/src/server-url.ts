/**
 * The server's address, checked before any request: `http://` or `https://` and a host. A
 * missing scheme is not guessed (http or https?): the message shows the address to type.
 */
import { isLoopbackHost } from "@coffer/core";
import { UsageError } from "./errors.js";

export const DEFAULT_SERVER_URL = "http://127.0.0.1:7700";

/** `from` names where the address came from: `--url`, `COFFER_URL` or the saved login. */
export function checkServerUrl(text: string, from: string): string {
  const trimmed = text.trim().replace(/\/+$/, "");
  // Quoted back only when it looks like an address: a token pasted into --url or COFFER_URL
  // by mistake must not land on stderr (and in a CI log).
  const hostLike = /^[A-Za-z0-9.-]{1,200}(:\d{1,5})?(\/[A-Za-z0-9._~/-]*)?$/.test(trimmed);
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(trimmed)) {
    throw new UsageError(
      hostLike
        ? `${from} ${trimmed}: a server address starts with http:// or https:// (e.g. http://${trimmed})`
        : `${from}: a server address starts with http:// or https:// (e.g. ${DEFAULT_SERVER_URL}); what was given does not look like an address, so it is not shown`,
    );
  }
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new UsageError(`${from} is not an address such as ${DEFAULT_SERVER_URL}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`${from}: a Coffer server is reached over http:// or https://`);
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    throw new UsageError(
      `${from}: give the server's address only (scheme, host, port), without credentials or query`,
    );
  }
  return trimmed;
}

/** Loopback: where `npx -y pnpm@10 start` puts a server, so a hint to start one makes sense. */
export function isLoopbackUrl(url: string): boolean {
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}
