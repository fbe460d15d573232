/**
 * `webhook` (SPEC §11): the user's own code changes the target, called as a Standard Webhooks
 * POST signed with the rotator's signing secret (a `whsec_` key in a Coffer secret, read with
 * the owner's rights at each call). The body never holds a value: it names the job, the secret
 * and the step, and carries a fresh job token (`cfj_…`) with which the receiver reads the values
 * (`rotation.job.start`) and, in callback mode, drives the job. Each call mints a new token,
 * which replaces the one before; the job's end kills it.
 *
 * The call's body (JSON):
 *   { "type": "rotation.set" | "rotation.test" | "rotation.check" | "rotation.revert"
 *             | "rotation.rollback" | "rotation.start",
 *     "timestamp": RFC 3339,
 *     "data": { "job", "secret", "attempt", "mode": "rotation" | "dryRun", "targets",
 *               "token" } }
 * The `webhook-id` is the same for every try of one step of one attempt, so a receiver can
 * drop a repeat; but a step may be called again after a crash and must be idempotent.
 *
 * Modes:
 * - driver (default): Coffer generates the pending value, then calls `rotation.set` (put the
 *   pending value on the target), `rotation.test` (check the target works with it); a dry run
 *   calls `rotation.check` (check without changing anything); after a failure from `set` on,
 *   `rotation.revert` (put the current value back); an operator rollback, `rotation.rollback`
 *   (put the previous value back).
 * - callback: Coffer calls `rotation.start` once per attempt, and the receiver drives create,
 *   set and test through rotation.job.addPending | updatePending, then complete | fail, with
 *   heartbeat to keep the job (10 min without a call fails the attempt). Reverts and rollbacks
 *   are driver calls as above.
 * Answers: any 2xx is done. To a revert or rollback, 422 or 410 means the target cannot be put
 * back (the job ends failed, target state unknown). Otherwise 410 and other 4xx but 408 and 429
 * fail the step for good; 5xx, 408, 429, a timeout (10 s) or a failed connection are retried
 * while attempts are left. Redirects are not followed; private and loopback addresses need
 * COFFER_HOOK_ALLOW_CIDRS (webhooks/address-guard.ts).
 */
import { isCofferError, type WebhookRotatorConfig } from "@coffer/core";
import type { RotatorRow } from "../../stores/rotation-store.js";
import type { WebhookClient } from "../../webhooks/outbound.js";
import { rotatorFailure, type Rotator, type RotatorCall, type RotatorOutcome } from "./rotator.js";

type Config = WebhookRotatorConfig & { signingSecret: string; mode: "driver" | "callback" };
const configOf = (row: RotatorRow) => row.config as Config;

/** The call's body: names and the job token, never a value. */
export function webhookBody(call: RotatorCall, at: Date): string {
  return JSON.stringify({
    type: `rotation.${call.action}`,
    timestamp: at.toISOString(),
    data: {
      job: call.job.id,
      secret: call.secret,
      attempt: call.job.attempt,
      mode: call.job.mode,
      targets: call.targets,
      token: call.jobToken,
    },
  });
}

/** The URL as messages show it: its origin and path, never its query. */
const shownUrl = (url: string): string => {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return "the rotator's URL";
  }
};

export function webhookRotator(client: WebhookClient, now: () => Date = () => new Date()): Rotator {
  return {
    kind: "webhook",
    external: true,
    usesJobToken: true,
    namedSecrets: (row) => ({ signingSecret: configOf(row).signingSecret }),
    drivesItself: (row) => configOf(row).mode === "callback",

    async call(row: RotatorRow, call: RotatorCall): Promise<RotatorOutcome> {
      const { url } = configOf(row);
      const key = call.settings["signingSecret"];
      if (key === undefined) throw rotatorFailure("the signing secret was not read", false);
      const where = shownUrl(url);
      let status: number;
      try {
        const response = await client.post({
          url,
          body: webhookBody(call, now()),
          keys: [key],
          id: `msg_${call.job.id}_${call.action}_${call.job.attempt}`,
        });
        status = response.status;
      } catch (error) {
        const reason = isCofferError(error) ? error.details["reason"] : undefined;
        const what = isCofferError(error) ? error.message : "the call failed";
        throw rotatorFailure(
          `rotation.${call.action} to ${where}: ${what}`,
          reason !== "address-refused",
          typeof reason === "string" ? reason : "call-failed",
        );
      }
      if (status >= 200 && status < 300) return "done";
      const putBack = call.action === "revert" || call.action === "rollback";
      if (putBack && (status === 422 || status === 410)) return "impossible";
      const retryable = status >= 500 || status === 408 || status === 429;
      throw rotatorFailure(
        `rotation.${call.action} to ${where} was answered ${status}`,
        retryable,
        "answered",
      );
    },
  };
}
