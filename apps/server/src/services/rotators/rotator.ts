/**
 * The interface a rotator implements (SPEC §11): how a secret's new value reaches the system
 * that uses it. To add a kind: implement `Rotator` in a file of this folder, add the kind to
 * core's ROTATOR_KINDS with its settings schema (packages/core/src/api/rotation.ts), and list
 * it in `rotators.ts`. The job engine (../rotation-job-engine.ts) decides when each call is
 * made; a rotator only talks to its target.
 *
 * The engine makes each call OUTSIDE any database transaction, holding the job's lease (30 s
 * by default): the values and the secrets its settings name are read before, in the step's
 * transaction, and the result is committed after, only if the lease is still held. So:
 * - a call must finish (or time out) well within the lease: 10 s is the norm here;
 * - a call may be made twice (a replica died after the target took a value, before the commit):
 *   every action must be idempotent (setting the same password again is);
 * - a call throws a CofferError to fail; `details.retryable === false` (or INVALID_REQUEST /
 *   INVALID_STATUS) fails the step for good, anything else is retried while attempts are left;
 *   its message is shown in the job's log and must never hold a value;
 * - `revert` and `rollback` answer "impossible" when the target cannot be put back: the job
 *   then ends `failed`, "target state unknown", for a person to decide.
 */
import { CofferError, type JobMode, type RotatorKind } from "@coffer/core";
import type { RotatorRow } from "../../stores/rotation-store.js";
import type { RotationValues } from "../rotation-versions.js";

export type RotatorAction =
  /** The target takes the pending value. */
  | "set"
  /** The target works with the pending value (it took it in `set`). */
  | "test"
  /** A dry run (`rotation.test`): check what can be checked without changing the target. */
  | "check"
  /** The target takes the current value back (after a failure or a cancel from `set` on). */
  | "revert"
  /** The target takes the previous value (`rotation.rollback`). */
  | "rollback"
  /** Callback mode: the rotator's own code is told to drive the job (rotation.job.*). */
  | "start";

export interface RotatorCall {
  action: RotatorAction;
  job: { id: string; attempt: number; mode: JobMode };
  /** `secret://ORG/OWNER/NAME`. */
  secret: string;
  /** The JSON keys the policy rotates; empty: the whole value. */
  targets: readonly string[];
  /** The secret's values now (the pending one is the job's). Never to be logged. */
  values: RotationValues;
  /** The values of the secrets the rotator's settings name, by field (`adminSecret`, …). */
  settings: Readonly<Record<string, string>>;
  /** A fresh `cfj_` token for this call, when the rotator uses them (`usesJobToken`). */
  jobToken: string | undefined;
}

export type RotatorOutcome = "done" | "impossible";

export interface Rotator {
  readonly kind: RotatorKind;
  /**
   * False for a rotator with no target outside Coffer (`random`): the engine then does each
   * step inside its transaction and never calls `call`.
   */
  readonly external: boolean;
  /** Whether each call gets a job token (its receiver calls rotation.job.* with it). */
  readonly usesJobToken: boolean;
  /** The secrets (`OWNER/NAME`) the rotator's settings name, by field. */
  namedSecrets(row: RotatorRow): Record<string, string>;
  /** Whether the rotator's own code drives create, set and test (a callback webhook). */
  drivesItself(row: RotatorRow): boolean;
  call(row: RotatorRow, call: RotatorCall): Promise<RotatorOutcome>;
}

/**
 * A rotator's failure, for the job's log: `retryable` says whether another attempt may pass.
 * The message must name things (role, host, URL without query), never a value.
 */
export const rotatorFailure = (message: string, retryable: boolean, reason?: string) =>
  new CofferError("UNPROCESSABLE_ENTITY", message, {
    retryable,
    ...(reason === undefined ? {} : { reason }),
  });
