/**
 * `postgres` (SPEC §11): the secret is a PostgreSQL role's password (the whole value, or the
 * one JSON key named as the policy's target), and the rotator keeps the role's password equal
 * to it on the server its admin connection string names (itself a Coffer secret, read with the
 * rotator owner's rights at each step).
 * - set: ALTER ROLE … PASSWORD with the pending value (sent as a SCRAM verifier only);
 * - test: log in as the role with the pending value;
 * - check (dry run): the admin may change the role's password, and the current value logs in;
 * - revert / rollback: the role's password back to the current / previous value ("impossible"
 *   when there is no such value).
 * Every action is idempotent: setting the same password twice is harmless.
 */
import type { PostgresRotatorConfig } from "@coffer/core";
import type { RotatorRow } from "../../stores/rotation-store.js";
import { checkCanRotate, loginWorks, setRolePassword } from "./postgres-target.js";
import { rotatorFailure, type Rotator, type RotatorCall } from "./rotator.js";

const configOf = (row: RotatorRow) => row.config as PostgresRotatorConfig;

/** The password a value holds: the whole value, or its one target key's string. */
export function passwordOf(value: string, targets: readonly string[], uri: string): string {
  if (targets.length === 0) return value;
  const [key] = targets;
  if (targets.length > 1 || key === undefined) {
    throw rotatorFailure(
      `${uri}: a postgres rotator takes one target, not ${targets.length}`,
      false,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  const password =
    typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)[key]
      : undefined;
  if (typeof password !== "string" || password === "") {
    throw rotatorFailure(`${uri}: the value's "${key}" is not a non-empty string`, false);
  }
  return password;
}

export const postgresRotator: Rotator = {
  kind: "postgres",
  external: true,
  usesJobToken: false,
  namedSecrets: (row) => ({ adminSecret: configOf(row).adminSecret }),
  drivesItself: () => false,

  async call(row: RotatorRow, call: RotatorCall) {
    const config = configOf(row);
    const adminUrl = call.settings["adminSecret"];
    if (adminUrl === undefined)
      throw rotatorFailure("the admin connection string was not read", false);
    const target = { adminUrl, role: config.role };
    const login = (password: string) =>
      loginWorks({
        ...target,
        password,
        ...(config.database ? { database: config.database } : {}),
      });
    const password = (value: string | null): string | undefined =>
      value === null ? undefined : passwordOf(value, call.targets, call.secret);
    switch (call.action) {
      case "set":
      case "test": {
        const pending = password(call.values.pending);
        if (pending === undefined)
          throw rotatorFailure(`${call.secret} has no pending value`, false);
        if (call.action === "set") await setRolePassword({ ...target, password: pending });
        else await login(pending);
        return "done";
      }
      case "check": {
        await checkCanRotate(target);
        const current = password(call.values.current);
        if (current !== undefined) await login(current);
        return "done";
      }
      case "revert":
      case "rollback": {
        const value = call.action === "revert" ? call.values.current : call.values.previous;
        const back = password(value);
        if (back === undefined) return "impossible";
        await setRolePassword({ ...target, password: back });
        return "done";
      }
      case "start":
        throw rotatorFailure("a postgres rotator is never started by callback", false);
    }
  },
};
