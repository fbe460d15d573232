/**
 * `coffer run --watch`: the change feed (the subscription the gateway hears, SPEC §7), as
 * `infisical run --watch` watches its environment. A change to a secret `run` injects (or, with
 * `--all`, to any secret under a watched owner: one may have been added) calls `onChange`, once
 * for a burst of changes; so does a reconnection, since changes may have been missed while the
 * feed was down. The caller fetches again and restarts the command only if what it would inject
 * differs. The feed carries no value, only which secret changed.
 */
import type { CofferClient } from "@coffer/client";
import { parseSecretUri } from "@coffer/core";

/** Events that may change a value (rotation outcomes come with their own `stage` change). */
const VALUE_EVENTS = new Set(["put", "stage", "enable", "disable", "delete", "restore"]);

/** A quiet moment after a change before fetching: a rotation or an import is many changes. */
const SETTLE_MS = 250;

export interface Watched {
  /** Secrets as the run asked for them: `NAME`, `OWNER/NAME` or a URI. */
  secrets: readonly string[];
  /** `--all` owners, with the name prefix they take. */
  owners: readonly { owner: string; namePrefix: string }[];
}

function concerns(watched: Watched, uri: string): boolean {
  let owner: string, name: string;
  try {
    ({ owner, name } = parseSecretUri(uri));
  } catch {
    return true; // not understood: fetching again costs one request and changes nothing
  }
  const path = `${owner}/${name}`;
  return (
    watched.owners.some((o) => o.owner === owner && name.startsWith(o.namePrefix)) ||
    watched.secrets.some((s) => s === path || s === name || s.endsWith(`/${path}`))
  );
}

/** Subscribes; returns the function that stops it. */
export function watchChanges(
  client: CofferClient,
  watched: Watched,
  onChange: () => void,
  onFailure: (message: string) => void,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  const soon = (): void => {
    clearTimeout(timer);
    timer = setTimeout(onChange, SETTLE_MS);
  };
  const subscription = client.secret.changes.subscribe(undefined, {
    onStarted() {
      if (started) soon(); // a reconnection: something may have changed meanwhile
      started = true;
    },
    onData(data: unknown) {
      const change = data as { uri?: unknown; event?: unknown };
      if (typeof change.uri !== "string" || !VALUE_EVENTS.has(String(change.event))) return;
      if (concerns(watched, change.uri)) soon();
    },
    onError(error: unknown) {
      onFailure(`the change feed failed: ${error instanceof Error ? error.message : "unknown"}`);
    },
  });
  return () => {
    clearTimeout(timer);
    subscription.unsubscribe();
  };
}
