/**
 * The `coffer` backend: references `{vault://coffer/NAME}`, `OWNER/NAME`, `OWNER/NAME/KEY`,
 * `#N`, `?stage=previous|pending`, read from a Coffer server with batch reveal, and kept fresh
 * by the server's change feed.
 *
 * - One `secret.batchReveal` call per 100 references (the server's limit); each item succeeds
 *   or fails on its own. A call that fails as a whole (network, timeout) fails every item.
 * - A short timeout (2 s) and one retry by default, so that an outage turns into stale serving
 *   quickly rather than into slow requests.
 * - The change feed (`secret.changes`) starts with the first watcher: disable and delete drop
 *   the secret's cached references, other events refetch them; every start of the stream, the
 *   first and each reconnection, refetches everything (events may have been missed before).
 */
import { createCofferClient, toCofferError, type CofferClient } from "@coffer/client";
import {
  CofferError,
  DEFAULT_BACKENDS,
  ERROR_CODES,
  MAX_BATCH_REVEAL,
  invalidRequest,
  parseSecretUri,
  revealItemOf,
  type ErrorCode,
  type MintedAccessKey,
  type ResolveOutcome,
  type SecretChange,
  type VaultReference,
} from "@coffer/core";
import { failure, success } from "./outcome.js";
import type { Backend, BackendChange } from "./types.js";

export interface CofferBackendOptions {
  /** A ready client; else one is made from url, token or accessKey and timeoutMs. */
  client?: CofferClient;
  url?: string;
  token?: string;
  accessKey?: MintedAccessKey;
  /** Per attempt, in ms (default 2000). */
  timeoutMs?: number;
  /** Follow the server's change feed (default true). */
  feed?: boolean;
}

export const DEFAULT_COFFER_TIMEOUT_MS = 2000;
/** Wait before subscribing again after the feed ended with an error (doubles up to the max). */
const FEED_RETRY_MS = 1000;
const FEED_RETRY_MAX_MS = 60_000;

function makeClient(options: CofferBackendOptions): CofferClient {
  if (options.client !== undefined) return options.client;
  if (options.url === undefined) throw invalidRequest("the coffer backend needs a url or a client");
  return createCofferClient({
    url: options.url,
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.accessKey !== undefined ? { accessKey: options.accessKey } : {}),
    timeoutMs: options.timeoutMs ?? DEFAULT_COFFER_TIMEOUT_MS,
    retries: 1,
    backoffMs: 50,
    maxDelayMs: 250,
  });
}

const errorCodeOf = (code: string): ErrorCode =>
  (ERROR_CODES as readonly string[]).includes(code) ? (code as ErrorCode) : "INTERNAL_SERVER_ERROR";

/** Which cached references a change to `secret://<org>/<owner>/<name>` concerns. */
export function changeOf(change: SecretChange): BackendChange | undefined {
  let owner: string;
  let name: string;
  try {
    ({ owner, name } = parseSecretUri(change.uri));
  } catch {
    return undefined;
  }
  // A rotation's outcome changes no value by itself (a promotion comes as its own `stage`).
  if (change.event.startsWith("rotation.")) return undefined;
  const drop = change.event === "disable" || change.event === "delete";
  return {
    action: drop ? "drop" : "refresh",
    // NAME alone is the token's own secret: matching every owner's NAME over-matches, harmlessly.
    matches: (ref) =>
      ref.resource.length >= 2
        ? ref.resource[0] === owner && ref.resource[1] === name
        : ref.resource[0] === name,
  };
}

const isSecretChange = (data: unknown): data is SecretChange =>
  typeof data === "object" &&
  data !== null &&
  typeof (data as { uri?: unknown }).uri === "string" &&
  typeof (data as { event?: unknown }).event === "string";

export function cofferBackend(options: CofferBackendOptions): Backend {
  const client = makeClient(options);

  async function revealChunk(refs: readonly VaultReference[]): Promise<ResolveOutcome[]> {
    let answers;
    try {
      answers = await client.secret.batchReveal.mutate({ items: refs.map(revealItemOf) });
    } catch (error) {
      const cause = toCofferError(error);
      return refs.map(() => failure(cause));
    }
    return refs.map((_ref, i) => {
      const answer = answers[i];
      if (answer === undefined) {
        return failure(new CofferError("INTERNAL_SERVER_ERROR", "the server gave no answer"));
      }
      if (answer.ok) return success(answer.value);
      return failure(new CofferError(errorCodeOf(answer.error.errorCode), answer.error.message));
    });
  }

  const backend: Backend = {
    name: "coffer",
    syntax: DEFAULT_BACKENDS["coffer"]!,
    async fetch(references) {
      const chunks: (readonly VaultReference[])[] = [];
      for (let at = 0; at < references.length; at += MAX_BATCH_REVEAL) {
        chunks.push(references.slice(at, at + MAX_BATCH_REVEAL));
      }
      return (await Promise.all(chunks.map(revealChunk))).flat();
    },
  };
  if (options.feed === false) return backend;

  const feed = changeFeed(client);
  backend.watch = feed.watch;
  backend.close = () => {
    feed.stop();
    return Promise.resolve();
  };
  return backend;
}

/** One subscription to the server's change feed, shared by every watcher of the backend. */
function changeFeed(client: CofferClient): {
  watch: (onChange: (change: BackendChange) => void) => () => void;
  stop: () => void;
} {
  const listeners = new Set<(change: BackendChange) => void>();
  let subscription: { unsubscribe(): void } | undefined;
  /** Bumped by every start and stop: callbacks of an older subscription are ignored. */
  let generation = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryMs = FEED_RETRY_MS;

  const emit = (change: BackendChange): void => {
    for (const listener of listeners) listener(change);
  };

  const stop = (): void => {
    generation++;
    clearTimeout(retryTimer);
    retryTimer = undefined;
    const current = subscription;
    subscription = undefined;
    current?.unsubscribe();
  };

  /** The feed ended (an error the link does not retry, or the server closed it): start again. */
  const restart = (): void => {
    stop();
    if (listeners.size === 0) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      start();
    }, retryMs);
    retryTimer.unref();
    retryMs = Math.min(retryMs * 2, FEED_RETRY_MAX_MS);
  };

  function start(): void {
    if (subscription !== undefined || retryTimer !== undefined || listeners.size === 0) return;
    const mine = ++generation;
    const current = client.secret.changes.subscribe(undefined, {
      onStarted() {
        if (mine !== generation) return;
        retryMs = FEED_RETRY_MS;
        // Changes may have been missed before this start: between the first fetches and the
        // first start, or while reconnecting. Everything cached is fetched again, in one batch.
        emit({ action: "refresh", matches: () => true });
      },
      onData(data: unknown) {
        if (mine !== generation) return;
        const change = isSecretChange(data) ? changeOf(data) : undefined;
        if (change !== undefined) emit(change);
      },
      onError() {
        if (mine === generation) restart();
      },
      onComplete() {
        if (mine === generation) restart();
      },
    });
    // It may have ended already, while subscribing.
    if (mine === generation) subscription = current;
    else current.unsubscribe();
  }

  return {
    watch(onChange) {
      listeners.add(onChange);
      start();
      return () => {
        listeners.delete(onChange);
        if (listeners.size === 0) stop();
      };
    },
    stop() {
      listeners.clear();
      stop();
    },
  };
}
