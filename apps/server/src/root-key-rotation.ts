/**
 * Root-key rotation (SPEC §5), safe against concurrent calls, replicas and crashes.
 *
 * One rotation at a time, across processes and replicas: an in-process queue, then (on
 * PostgreSQL) an advisory lock held by a guard transaction until the last file is in place.
 * Under it, a rotation:
 *
 * 1. reconciles the files with the database (below), so it knows every root key that wraps a
 *    row, and refuses, touching nothing, if one is unknown;
 * 2. writes the new key durably to a file of its own, `root.key.next.<random>`;
 * 3. re-wraps every protection key in one transaction (with its audit event), and commits;
 * 4. rewrites `root.key.previous` (the old active key, and any other key still wrapping a row),
 *    then renames the new key's file over `root.key`.
 *
 * Reconciling (on every start, before every rotation, and after a failed one) reads which root
 * keys wrap rows: a `root.key.next.*` key that wraps rows belongs to a rotation that committed
 * but did not finish step 4, which is finished now; one that wraps none never committed and is
 * removed. A crash at any step thus leaves every key that wraps a row in a file, and the next
 * start (or rotation) puts the files in order. With COFFER_ROOT_KEY there are no files: a
 * rotation re-wraps under the active key.
 *
 * A new protection key must not be wrapped under a key a rotation is retiring: key creation
 * waits for any rotation (`whileNotRotating` and `holdOffRotation`) and reads the key files
 * again first, so a replica sharing the key file wraps under the current key.
 */
import { randomBytes } from "node:crypto";
import { CofferError, rootKeyId } from "@coffer/core";
import type { Database, Queryable } from "./db/database.js";
import type { Deps } from "./deps.js";
import type { Config } from "./env.js";
import { rootKeyIdsInUse } from "./stores/key-store.js";
import {
  createKeyFile,
  installKeyFile,
  pendingFileOf,
  previousFileOf,
  readKeyFiles,
  removeFiles,
  replaceKeyFile,
} from "./root-key-files.js";
import { keyFileOf, previousFromEnv, readRootKeys } from "./root-key.js";

export type RotationStep =
  "locked" | "next-written" | "rewrapped" | "committed" | "previous-written" | "installed";

/** Told of each step as it is reached (tests stop a process there). */
export type StepObserver = (step: RotationStep) => void | Promise<void>;

const ROTATION_LOCK = 7_700_004;

let queue: Promise<unknown> = Promise.resolve();

/** Runs `fn` after every rotation and key creation queued before it in this process. */
function inProcess<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn, fn);
  queue = run.catch(() => undefined);
  return run;
}

/**
 * Runs `fn` as the only rotation anywhere. PGlite's data folder is open in one process only,
 * so the queue is enough there (and a guard transaction would block PGlite's one connection).
 */
export function withRotationLock<T>(db: Database, fn: () => Promise<T>): Promise<T> {
  if (db.engine !== "postgres") return inProcess(fn);
  return inProcess(async () => {
    let done: { result: T } | undefined;
    try {
      await db.transaction(async (guard) => {
        await guard.query("SELECT pg_advisory_xact_lock($1)", [ROTATION_LOCK]);
        done = { result: await fn() };
      });
    } catch (error) {
      // Ending the guard can only release the lock, which a lost connection does too.
      if (done === undefined) throw error;
    }
    return done!.result;
  });
}

/** Runs `fn`, a transaction that calls `holdOffRotation`, after this process's rotations. */
export const whileNotRotating = inProcess;

/**
 * In a transaction that writes protection keys: waits for a rotation in any replica to end
 * (shared lock until the transaction ends), then takes up the current root key from the files.
 */
export async function holdOffRotation(tx: Queryable, deps: Deps): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock_shared($1)", [ROTATION_LOCK]);
  await refreshRootKeys(deps);
}

/** Takes up the root keys in the files, as another replica sharing them may have rotated. */
export async function refreshRootKeys(deps: Deps): Promise<void> {
  const keys = await readRootKeys(deps.config);
  if (keys) adopt(deps, keys);
}

/** Makes `keys[0]` the active root key of this server; the others are kept for unwrapping. */
function adopt(deps: Deps, keys: readonly Buffer[]): void {
  for (const key of keys.slice(1)) deps.keyring.addRootKey(key);
  if (!keys[0]!.equals(deps.root.active)) {
    deps.keyring.useRootKey(keys[0]!);
    deps.root.active = keys[0]!;
  }
}

function refuseUnknown(used: Set<string>, known: readonly Buffer[]): void {
  const ids = new Set(known.map(rootKeyId));
  const unknown = [...used].filter((id) => !ids.has(id));
  if (unknown.length === 0) return;
  throw new CofferError(
    "INVALID_STATUS",
    `protection keys are wrapped by root key ${unknown.join(", ")}, which neither the key files nor COFFER_PREVIOUS_ROOT_KEYS hold: add it to COFFER_PREVIOUS_ROOT_KEYS and restart`,
    { reason: "unknown-root-key", rootKeyIds: unknown },
  );
}

const dedupe = (keys: readonly Buffer[]): Buffer[] =>
  keys.filter((k, i) => keys.findIndex((other) => other.equals(k)) === i);

/**
 * Puts the key files in order with the database (see the top of this file) and returns the
 * root keys, the active one first. Run under `withRotationLock`.
 */
export async function reconcileRootKeys(
  config: Config,
  db: Database,
  onStep?: StepObserver,
): Promise<Buffer[]> {
  const used = await rootKeyIdsInUse(db);
  const file = keyFileOf(config);
  if (file === undefined) {
    const keys = (await readRootKeys(config))!;
    refuseUnknown(used, keys);
    return keys;
  }
  const files = await readKeyFiles(file);
  if (!files.active) throw new Error(`the root key file ${file} does not exist`);
  const fromEnv = previousFromEnv(config);
  refuseUnknown(used, [
    files.active,
    ...files.previous,
    ...fromEnv,
    ...files.pending.map((p) => p.key),
  ]);
  const wraps = (key: Buffer): boolean => used.has(rootKeyId(key));
  const committed = files.pending.filter((p) => wraps(p.key));
  let active = files.active;
  let previous = files.previous;
  const [finish, ...alsoCommitted] = committed;
  if (finish) {
    // A rotation committed but did not finish: finish it. The old active key stays one more
    // rotation (a replica may still wrap under it until it reads the files again).
    previous = dedupe([
      files.active,
      ...[...files.previous, ...alsoCommitted.map((p) => p.key)].filter(wraps),
    ]).filter((k) => !k.equals(finish.key));
    await replaceKeyFile(previousFileOf(file), previous);
    await onStep?.("previous-written");
    await installKeyFile(finish.path, file);
    await onStep?.("installed");
    active = finish.key;
  }
  await removeFiles([
    ...files.pending.filter((p) => p !== finish).map((p) => p.path),
    ...files.strays,
  ]);
  return dedupe([active, ...previous, ...fromEnv]);
}

/**
 * Rotates the root key. `rewrap(next, rewrapped)` re-wraps every protection key under `next` in
 * one transaction (calling `rewrapped` before it commits) and resolves once committed.
 */
export async function rotateRootKey<T>(
  deps: Deps,
  rewrap: (next: Buffer, rewrapped: () => Promise<void>) => Promise<T>,
  onStep?: StepObserver,
): Promise<T> {
  const step = async (s: RotationStep): Promise<void> => {
    await onStep?.(s);
  };
  const { config, db } = deps;
  return withRotationLock(db, async () => {
    await step("locked");
    adopt(deps, await reconcileRootKeys(config, db));
    const file = keyFileOf(config);
    const next = file === undefined ? deps.root.active : randomBytes(32);
    if (file !== undefined) {
      await createKeyFile(pendingFileOf(file), [next]).catch((error: unknown) => {
        deps.log.error({ err: error }, "could not write the new root key's file");
        throw new CofferError(
          "INTERNAL_SERVER_ERROR",
          "the new root key could not be written beside the key file (is its folder writable?); nothing was changed",
          { reason: "root-key-file-not-written" },
        );
      });
    }
    await step("next-written");
    let result: T;
    try {
      result = await rewrap(next, () => step("rewrapped"));
    } catch (error) {
      // Committed or not (a lost connection leaves it unknown), reconciling tells and tidies.
      await reconcileRootKeys(config, db).then(
        (keys) => adopt(deps, keys),
        (reconcileError: unknown) =>
          deps.log.error({ err: reconcileError }, "could not reconcile the root key files"),
      );
      throw error;
    }
    deps.keyring.useRootKey(next);
    deps.root.active = next;
    await step("committed");
    if (file === undefined) return result;
    try {
      adopt(deps, await reconcileRootKeys(config, db, onStep));
    } catch (error) {
      deps.log.error({ err: error }, "the root key was rotated, but its file was not installed");
      throw new CofferError(
        "INTERNAL_SERVER_ERROR",
        "the root key was rotated in the database, but its file could not be put in place; the new key is kept in a root.key.next file, and the next start or rotation installs it",
        { reason: "root-key-file-not-installed" },
      );
    }
    return result;
  });
}
