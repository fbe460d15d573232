/**
 * Group commit of secret writes (SecretWriter's create and put). On PostgreSQL every
 * transaction that NOTIFYs the change feed is serialised through its commit (NOTIFY takes a
 * database-wide lock at commit, held until the commit is flushed), so one write per
 * transaction means one serialised commit per write. Here the writes of many secrets that
 * arrive together share one transaction: one commit, one batch of NOTIFYs.
 *
 * One Batcher for every secret (no timer: the first write runs at once, those arriving
 * meanwhile go together in the next batch, at most MAX_BATCH; on PGlite a batch starts on the
 * event loop's next turn, see Batcher). A batch's transaction:
 * - locks the rows of every secret it puts to in ONE statement, in the order of their ids,
 *   so two replicas' batches wait for each other in one order and never deadlock (other
 *   replicas' writers still queue on the rows);
 * - per secret, checks each put in arrival order against the state the puts before it left
 *   (access, deletion status, check-and-set), seals it as the next version, and writes them
 *   all with their audit events, stages and NOTIFYs in one statement (putVersions);
 * - then makes the batch's new secrets, as create did alone (access, INSERT … ON CONFLICT DO
 *   NOTHING, "already exists" refused, version 1, audit event, NOTIFY), in two statements for
 *   all of them; the inserts go in name order, for the same reason as the locks.
 * Each write has its own result: one that fails its own checks (a CofferError thrown before
 * anything of it is written) fails alone, and its caller audits the refusal as it would alone.
 *
 * Order per secret is arrival order: a batch never holds both a create and other writes of
 * one secret (see batchLength): it ends before such a write, which goes in the next batch.
 * So a put that arrives before the create of its secret fails NOT_FOUND, one after gets
 * version 2, and a second create of one name is refused as "already exists".
 *
 * When the transaction itself fails before its commit (a statement's error, a deadlock
 * `40P01`, a serialisation failure, a constraint no check caught, or an error of no write's
 * checks), nothing of the batch was written, and a batch of more than one write runs each of
 * them again alone, in arrival order, in a transaction of its own: a bad write fails alone
 * with its own error and never fails its neighbours. Never after a failure of the database
 * itself (isDatabaseFailure): when it is unavailable the next try fails too, and when the
 * connection was lost during COMMIT the batch may have been saved, so running it again could
 * write every put twice; those fail every write of the batch, as a lone write fails.
 */
import {
  generateRandomSecret,
  invalidRequest,
  invalidStatus,
  isCofferError,
  type CreateSecretInput,
  type PutSecretInput,
  type RandomSecretOptions,
  type SecretChangeEvent,
} from "@coffer/core";
import { requireAccess } from "../access.js";
import type { Actor, RequestMeta } from "../auth/actor.js";
import { changePayload, type FeedChange } from "../changes/change-feed.js";
import { Batcher } from "../db/batcher.js";
import { isDatabaseFailure } from "../db/connection-loss.js";
import type { Queryable } from "../db/database.js";
import type { Deps } from "../deps.js";
import type { NewVersion, SealedVersion, SecretRow, VersionState } from "../stores/secret-store.js";
import type { Stores } from "../stores/stores.js";
import { requireNoActiveJob } from "./rotation-job-service.js";
import { missing, ownerKind, secretResource } from "./secret-lookup.js";
import { secretUri, toMeta, versionContext, type SecretMeta } from "./secret-view.js";

/** The most writes one transaction holds: it keeps their rows locked until it commits. */
export const MAX_BATCH = 200;

export interface VersionWritten {
  uri: string;
  version: number;
  stage: "current" | "pending";
}

interface ValueSource {
  value?: string;
  generate?: RandomSecretOptions;
}

export function valueFrom(input: ValueSource): string {
  if (input.value !== undefined && input.generate !== undefined) {
    throw invalidRequest("give either value or generate, not both");
  }
  if (input.value !== undefined) return input.value;
  if (input.generate !== undefined) return generateRandomSecret(input.generate);
  throw invalidRequest("give a value, or generate to make a random one");
}

export function feedChange(
  org: string,
  row: Pick<SecretRow, "owner" | "owner_kind" | "name">,
  event: SecretChangeEvent,
  version: number | null,
): FeedChange {
  return {
    uri: secretUri(org, row.owner, row.name),
    version,
    event,
    owner: row.owner,
    ownerKind: row.owner_kind,
    name: row.name,
  };
}

interface Caller {
  actor: Actor;
  meta: RequestMeta;
  owner: string;
  name: string;
}

/** A write waiting for the next batch. */
export type Write =
  | (Caller & { kind: "put"; input: PutSecretInput })
  | (Caller & { kind: "create"; input: CreateSecretInput });

type PutWrite = Extract<Write, { kind: "put" }>;
type CreateWrite = Extract<Write, { kind: "create" }>;

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };
export type WriteOutcome = Settled<VersionWritten | SecretMeta>;

const keyOf = (w: { owner: string; name: string }) => `${w.owner}/${w.name}`;

/**
 * How many of `waiting` (in arrival order) one batch takes: all, unless a secret would be
 * both created and written otherwise in it (a create after writes of its secret, a write
 * after its create): the batch ends before that write.
 */
export function batchLength(waiting: readonly Pick<Write, "kind" | "owner" | "name">[]): number {
  const seen = new Map<string, Write["kind"]>();
  for (const [i, w] of waiting.entries()) {
    const before = seen.get(keyOf(w));
    if (before === "create" || (before !== undefined && w.kind === "create")) return i;
    seen.set(keyOf(w), w.kind);
  }
  return waiting.length;
}

/**
 * A write's own failure (a check refused it before anything of it was written): it fails
 * alone. Anything else fails the transaction (see the file's comment).
 */
function failsAlone(error: unknown): Settled<never> {
  if (isCofferError(error) && !isDatabaseFailure(error)) return { ok: false, error };
  throw error;
}

type PutReady = PutWrite & NewVersion & { i: number; stage: VersionWritten["stage"] };
type CreateReady = CreateWrite & { i: number; protectionKeyId: string; sealed: SealedVersion };

export class SecretWriteBatches {
  readonly #batcher: Batcher<Write, WriteOutcome>;

  constructor(
    private readonly deps: Pick<Deps, "db" | "org" | "keyring" | "changes">,
    private readonly stores: Pick<
      Stores,
      "secrets" | "principals" | "keys" | "audit" | "rotationJobs"
    >,
  ) {
    this.#batcher = new Batcher<Write, WriteOutcome>(
      (writes) => this.#run(writes),
      MAX_BATCH,
      deps.db.engine === "pglite",
      batchLength,
    );
  }

  /** Settles with the write's own outcome once its batch has committed (or failed). */
  call(write: Write): Promise<WriteOutcome> {
    return this.#batcher.call(write);
  }

  async #run(writes: readonly Write[]): Promise<WriteOutcome[]> {
    try {
      return await this.#transaction(writes);
    } catch (error) {
      if (writes.length === 1 || isDatabaseFailure(error))
        return writes.map(() => ({ ok: false, error }));
      const outcomes: WriteOutcome[] = [];
      for (const write of writes) outcomes.push(...(await this.#run([write])));
      return outcomes;
    }
  }

  #transaction(writes: readonly Write[]): Promise<WriteOutcome[]> {
    return this.deps.db.transaction(async (tx) => {
      const outcomes: WriteOutcome[] = new Array<WriteOutcome>(writes.length);
      const puts = new Map<string, (PutWrite & { i: number })[]>();
      const creates: (CreateWrite & { i: number })[] = [];
      for (const [i, w] of writes.entries()) {
        if (w.kind === "create") creates.push({ ...w, i });
        else puts.set(keyOf(w), [...(puts.get(keyOf(w)) ?? []), { ...w, i }]);
      }
      if (puts.size > 0) {
        const refs = [...puts.values()].map((group) => group[0]!);
        const rows = new Map(
          (await this.stores.secrets.lockMany(tx, refs)).map((row) => [keyOf(row), row]),
        );
        for (const [key, group] of puts) {
          const row = rows.get(key);
          if (row) await this.#putsTo(tx, row, group, outcomes);
          else {
            const error = missing(this.deps.org, group[0]!.owner, group[0]!.name);
            for (const put of group) outcomes[put.i] = { ok: false, error };
          }
        }
      }
      if (creates.length > 0) await this.#create(tx, creates, outcomes);
      return outcomes;
    });
  }

  /** The audit rows of writes done: one event each, of `action`. */
  #auditJson(
    tx: Queryable,
    action: string,
    done: readonly (Caller & { resource: string; details: Record<string, unknown> })[],
  ): Promise<string> {
    return this.stores.audit.rowsJson(
      tx,
      done.map((d) => ({
        actor: d.actor,
        meta: d.meta,
        events: { action, resource: d.resource, details: d.details },
      })),
    );
  }

  /** The puts of one secret, its row locked: see the file's comment. */
  async #putsTo(
    tx: Queryable,
    row: SecretRow,
    puts: readonly (PutWrite & { i: number })[],
    outcomes: WriteOutcome[],
  ): Promise<void> {
    const state: VersionState = { ...row };
    const uri = secretUri(this.deps.org, row.owner, row.name);
    const written: PutReady[] = [];
    for (const put of puts) {
      try {
        const { version, stage } = await this.#nextVersion(tx, row, state, put);
        written.push({ ...put, ...version, stage });
        outcomes[put.i] = { ok: true, value: { uri, version: version.version, stage } };
      } catch (error) {
        outcomes[put.i] = failsAlone(error);
      }
    }
    if (written.length === 0) return;
    await this.stores.secrets.putVersions(tx, {
      secretId: row.id,
      maxVersions: row.max_versions,
      versions: written,
      state,
      by: written[written.length - 1]!.by,
      auditJson: await this.#auditJson(
        tx,
        "secret.put",
        written.map((w) => ({
          ...w,
          resource: uri,
          details: { version: w.version, stage: w.stage },
        })),
      ),
      channel: this.deps.changes.channel,
      payloads: written.map((w) => changePayload(feedChange(this.deps.org, row, "put", w.version))),
    });
  }

  /** One put's checks and sealed value; moves `state` on by its version. */
  async #nextVersion(tx: Queryable, row: SecretRow, state: VersionState, put: PutWrite) {
    const { actor, input } = put;
    requireAccess(
      actor,
      secretResource(this.deps.org, row.owner, row.owner_kind, row.name),
      "write",
    );
    if (row.status === "pending_deletion") throw scheduled(this.deps.org, row);
    if (input.expectedVersion !== undefined && input.expectedVersion !== state.current_version) {
      throw invalidStatus(
        `check-and-set failed: the current version is ${state.current_version}, not ${input.expectedVersion}`,
        { currentVersion: state.current_version, expectedVersion: input.expectedVersion },
      );
    }
    const stage = input.stage ?? "current";
    if (stage === "pending") {
      await requireNoActiveJob(this.stores.rotationJobs, tx, this.deps.org, row);
    }
    const value = valueFrom(input);
    const version = state.last_version + 1;
    const sealed = await sealVersion(this.deps, this.stores.keys, tx, row, version, value);
    if (stage === "current") {
      state.previous_version = state.current_version;
      state.current_version = version;
    } else {
      state.pending_version = version;
    }
    state.last_version = version;
    return { version: { version, sealed, by: actor.label }, stage };
  }

  /**
   * The batch's new secrets (one create each, see batchLength): each checked and sealed, then
   * all inserted in one statement, and their first versions, audit events and NOTIFYs in one
   * more. A name that exists is refused as create refused it alone.
   */
  async #create(
    tx: Queryable,
    creates: readonly (CreateWrite & { i: number })[],
    outcomes: WriteOutcome[],
  ): Promise<void> {
    const kinds = new Map<string, "user" | "team">();
    let protectionKeyId: string | undefined;
    const ready: CreateReady[] = [];
    for (const c of creates) {
      try {
        const kind = kinds.get(c.owner) ?? (await ownerKind(this.stores.principals, tx, c.owner));
        kinds.set(c.owner, kind);
        requireAccess(c.actor, secretResource(this.deps.org, c.owner, kind, c.name), "manage", {
          hideExistence: false,
        });
        const value = valueFrom(c.input);
        protectionKeyId ??= await this.stores.keys.defaultId(tx);
        const sealed = this.deps.keyring.seal(
          value,
          versionContext(this.deps.org, c, 1),
          protectionKeyId,
        );
        ready.push({ ...c, protectionKeyId, sealed });
      } catch (error) {
        outcomes[c.i] = failsAlone(error);
      }
    }
    if (ready.length === 0) return;
    const made = new Map(
      (
        await this.stores.secrets.insertMany(
          tx,
          ready.map((c) => ({
            owner: c.owner,
            name: c.name,
            description: c.input.description ?? "",
            protectionKeyId: c.protectionKeyId,
            by: c.actor.label,
          })),
        )
      ).map((row) => [keyOf(row), row]),
    );
    const created: (CreateReady & { row: SecretRow })[] = [];
    for (const c of ready) {
      const row = made.get(keyOf(c));
      if (row) {
        created.push({ ...c, row });
        outcomes[c.i] = { ok: true, value: toMeta(this.deps.org, row) };
      } else {
        const uri = secretUri(this.deps.org, c.owner, c.name);
        outcomes[c.i] = {
          ok: false,
          error: invalidStatus(`${uri} already exists; put a new version instead`, { uri }),
        };
      }
    }
    if (created.length === 0) return;
    await this.stores.secrets.firstVersions(tx, {
      versions: created.map((c) => ({ secretId: c.row.id, sealed: c.sealed, by: c.actor.label })),
      auditJson: await this.#auditJson(
        tx,
        "secret.create",
        created.map((c) => ({
          ...c,
          resource: secretUri(this.deps.org, c.owner, c.name),
          details: { version: 1 },
        })),
      ),
      channel: this.deps.changes.channel,
      // A reader may have cached "not found" for it: a first version is news too.
      payloads: created.map((c) => changePayload(feedChange(this.deps.org, c.row, "put", 1))),
    });
  }
}

/** `value` sealed as version `version` of the secret, under the secret's protection key. */
export async function sealVersion(
  deps: Pick<Deps, "org" | "keyring">,
  keys: Stores["keys"],
  tx: Queryable,
  row: SecretRow,
  version: number,
  value: string,
): Promise<SealedVersion> {
  await keys.ensureLoaded(row.protection_key_id, tx);
  return deps.keyring.seal(value, versionContext(deps.org, row, version), row.protection_key_id);
}

/** The refusal of a change to a secret scheduled for deletion. */
export function scheduled(org: string, row: SecretRow) {
  return invalidStatus(
    `${secretUri(org, row.owner, row.name)} is scheduled for deletion on ${row.deletion_date?.toISOString().slice(0, 10)}; restore it first`,
    { status: row.status },
  );
}
