/**
 * Rotation policies (SPEC §11): one per secret, naming its rotator, `every` or a UTC cron, a
 * window, automatic on/off, targets, generator options and attempts. `rotation.configure`
 * (create or replace), `get` and `setAuto`, each needing `write` on the secret (SPEC §11:
 * "Rights: write on the secret" for every operator); the rotator must be readable by the
 * caller. Timing is checked and computed by core's schedule.ts.
 *
 * When the next rotation is due: the last rotation plus the period (or the cron's next time
 * after it). The last rotation is the later of `last_rotated_at` (set by configure, and by a
 * job's promotion) and the time of the secret's current version, so a manual new version
 * (`put`, `secret rotate`) counts as a rotation with no write to the policy. The stored
 * `next_due_at` is therefore never later than the true due time; `dueAt` is the one way to
 * compute the true one, for this view and for the scheduler.
 */
import {
  invalidRequest,
  compileSchedule,
  DEFAULT_EVERY,
  DEFAULT_MAX_ATTEMPTS,
  formatDuration,
  generateRandomSecret,
  parseEvery,
  type ConfigureRotationInput,
  type RotationPolicyView,
  type RotationSchedule,
  type RotationTiming,
  type SecretRotationInput,
  type SetAutoRotationInput,
} from "@coffer/core";
import type { Actor, RequestMeta } from "../auth/actor.js";
import type { Queryable } from "../db/database.js";
import type { Deps } from "../deps.js";
import type { PolicyRow } from "../stores/rotation-store.js";
import type { SecretRow, SecretStore } from "../stores/secret-store.js";
import type { Stores } from "../stores/stores.js";
import type { AuditedResult } from "./audited.js";
import { changeOnSecret, requirePolicy, writableSecret } from "./rotation-secret.js";
import { ownedAddress, ownedRef, requireOwned } from "./owned-access.js";
import { secretUri } from "./secret-view.js";

/** The schedule a stored policy keeps (`every` as milliseconds, written back as `90d`). */
export function scheduleOf(
  p: Pick<PolicyRow, "every_ms" | "cron" | "window_ms">,
): RotationSchedule {
  const window = formatDuration(p.window_ms);
  return compileSchedule(
    p.cron !== null ? { cron: p.cron, window } : { every: formatDuration(p.every_ms!), window },
  );
}

/** The last rotation: the later of the policy's record and the current version's time. */
export function lastRotation(lastRotatedAt: Date | null, currentVersionAt: Date): Date {
  return lastRotatedAt !== null && lastRotatedAt > currentVersionAt
    ? lastRotatedAt
    : currentVersionAt;
}

/** When the policy's next rotation is due, given the current version's time. */
export function dueAt(p: PolicyRow, currentVersionAt: Date): Date {
  return scheduleOf(p).next(lastRotation(p.last_rotated_at, currentVersionAt));
}

/** When the secret's current version was written (a manual new version counts as a rotation). */
export async function currentVersionAt(
  secrets: SecretStore,
  q: Queryable,
  secret: SecretRow,
): Promise<Date> {
  const versions = await secrets.versions(q, secret.id);
  const current = versions.find((v) => v.version === secret.current_version);
  // A secret always has its current version; its creation stands in if it ever did not.
  return current?.created_at ?? secret.created_at;
}

export class RotationPolicyService {
  constructor(
    private readonly deps: Pick<Deps, "db" | "log" | "credentialCache" | "org" | "now">,
    private readonly stores: Pick<Stores, "rotation" | "rotationJobs" | "secrets" | "audit">,
  ) {}

  configure(
    actor: Actor,
    meta: RequestMeta,
    input: ConfigureRotationInput,
  ): Promise<RotationPolicyView> {
    return this.#change(actor, meta, input, "rotation.configure", async (tx, secret) => {
      const timing: RotationTiming =
        input.cron !== undefined ? { cron: input.cron } : { every: input.every ?? DEFAULT_EVERY };
      const schedule = compileSchedule(
        input.window === undefined ? timing : { ...timing, window: input.window },
      );
      const generator = input.generate ?? {};
      // Options that can make no value (every character excluded…) are refused now, not at 3 am.
      generateRandomSecret(generator);
      const address = ownedAddress("rotator", input.rotator, actor);
      const found = await this.stores.rotation.rotator(tx, address.owner, address.name, "share");
      const rotator = requireOwned("rotator", actor, this.deps.org, address, found, "read");
      if (rotator.kind === "postgres" && (input.targets?.length ?? 0) > 1) {
        throw invalidRequest(
          "a postgres rotator sets one password: name one target (the JSON key that holds it) or none (the whole value is the password)",
          { field: "targets" },
        );
      }
      const before = await this.stores.rotation.policy(tx, secret.id);
      const lastRotatedAt = lastRotation(
        before?.last_rotated_at ?? null,
        await currentVersionAt(this.stores.secrets, tx, secret),
      );
      await this.stores.rotation.savePolicy(tx, {
        secretId: secret.id,
        rotatorId: rotator.id,
        everyMs: "every" in timing ? parseEvery(timing.every) : null,
        cron: schedule.kind === "cron" ? schedule.text : null,
        windowMs: schedule.windowMs,
        auto: input.auto ?? true,
        targets: input.targets ?? [],
        generator,
        maxAttempts: input.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
        lastRotatedAt,
        nextDueAt: schedule.next(lastRotatedAt),
        at: this.deps.now(),
        by: actor.label,
      });
      return {
        result: await this.#view(tx, secret),
        details: {
          rotator: ownedRef(rotator),
          [schedule.kind]: schedule.text,
          auto: input.auto ?? true,
          replaced: before !== undefined,
        },
      };
    });
  }

  async get(actor: Actor, input: SecretRotationInput): Promise<RotationPolicyView> {
    const secret = await writableSecret(this.deps, this.stores, this.deps.db, actor, input.secret);
    return this.#view(this.deps.db, secret);
  }

  setAuto(
    actor: Actor,
    meta: RequestMeta,
    input: SetAutoRotationInput,
  ): Promise<RotationPolicyView> {
    return this.#change(actor, meta, input, "rotation.setAuto", async (tx, secret) => {
      await this.#policy(tx, secret);
      await this.stores.rotation.setAuto(tx, secret.id, input.auto, this.deps.now(), actor.label);
      return { result: await this.#view(tx, secret), details: { auto: input.auto } };
    });
  }

  #change(
    actor: Actor,
    meta: RequestMeta,
    input: SecretRotationInput,
    action: string,
    change: (tx: Queryable, secret: SecretRow) => Promise<AuditedResult<RotationPolicyView>>,
  ): Promise<RotationPolicyView> {
    return changeOnSecret(this.deps, this.stores, actor, meta, input.secret, action, change);
  }

  #policy(q: Queryable, secret: SecretRow): Promise<PolicyRow> {
    return requirePolicy(this.deps.org, this.stores.rotation, q, secret);
  }

  async #view(q: Queryable, secret: SecretRow): Promise<RotationPolicyView> {
    const p = await this.#policy(q, secret);
    const currentAt = await currentVersionAt(this.stores.secrets, q, secret);
    return {
      secret: secretUri(this.deps.org, secret.owner, secret.name),
      rotator: `${p.rotator_owner}/${p.rotator_name}`,
      every: p.every_ms === null ? null : formatDuration(p.every_ms),
      cron: p.cron,
      window: formatDuration(p.window_ms),
      auto: p.auto,
      targets: p.targets,
      generate: p.generator,
      maxAttempts: p.max_attempts,
      lastRotatedAt: lastRotation(p.last_rotated_at, currentAt).toISOString(),
      nextDueAt: p.auto ? dueAt(p, currentAt).toISOString() : null,
      activeJob: (await this.stores.rotationJobs.activeId(q, secret.id)) ?? null,
      createdAt: p.created_at.toISOString(),
      createdBy: p.created_by,
      updatedAt: p.updated_at.toISOString(),
      updatedBy: p.updated_by,
    };
  }
}
