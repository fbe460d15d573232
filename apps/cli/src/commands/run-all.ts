/**
 * `coffer run --all OWNER` (also `OWNER/*`, or `OWNER/P*` for the secrets whose name starts
 * with P): every enabled secret the caller can read there, each as a variable named as the
 * Action names an `OWNER/*` line's secrets (core's envNameOf: uppercased, `-` → `_`), after
 * `--prefix` if given (the Action's `OWNER/* > PREFIX`).
 *
 * As in the Action: a variable set explicitly (`--env`, `--env-file`) wins over the wildcard
 * (the secret is not even revealed); a secret that would set a reserved variable (PATH,
 * NODE_OPTIONS, LD_*…) or one another wildcard secret sets is refused, and nothing starts; a
 * secret the caller may list but not read is skipped with a notice.
 */
import {
  envNameOf,
  isReservedVariable,
  PRINCIPAL_NAME_RE,
  suggestedPrefix,
  type RevealInput,
} from "@coffer/core";
import type { CofferClient } from "@coffer/client";
import { UsageError } from "../errors.js";
import { collectPages } from "../pages.js";

const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface AllSpec {
  owner: string;
  /** Only names starting with this (`OWNER/P*`); "" for all. */
  namePrefix: string;
  /** As written, for messages. */
  text: string;
}

export function parseAllSpec(text: string, form: string): AllSpec {
  const match = /^([^/*]+)(?:\/([^/*]*)\*)?$/.exec(text);
  if (!match || !PRINCIPAL_NAME_RE.test(match[1]!)) {
    throw new UsageError(`--all ${text}: write OWNER, OWNER/* or OWNER/PREFIX*`, form);
  }
  return { owner: match[1]!, namePrefix: match[2] ?? "", text };
}

export function checkPrefix(prefix: string, form: string): void {
  if (prefix !== "" && !ENV_NAME_RE.test(prefix)) {
    throw new UsageError(
      `--prefix ${prefix}: a prefix of variable names (letters, digits and _, not first a digit)`,
      form,
    );
  }
}

/** One secret a wildcard brings, to one variable. */
export interface WildcardWant {
  spec: AllSpec;
  secret: string;
  target: string;
  item: RevealInput;
}

export interface WildcardPlan {
  wants: WildcardWant[];
  /** Skipped, and why (never a value). */
  notices: string[];
  /** Refused: nothing starts. */
  refusals: string[];
}

/** Each spec's enabled secrets, listed together (tRPC sends the calls as one request). */
export async function listWildcards(
  client: CofferClient,
  specs: readonly AllSpec[],
): Promise<{ name: string; status: string }[][]> {
  return Promise.all(
    specs.map((spec) =>
      collectPages((page) =>
        client.secret.list.query({
          ...page,
          owner: spec.owner,
          ...(spec.namePrefix !== "" ? { prefix: spec.namePrefix } : {}),
        }),
      ),
    ),
  );
}

export function planWildcards(
  specs: readonly AllSpec[],
  listings: readonly { name: string; status: string }[][],
  prefix: string,
  explicit: ReadonlyMap<string, string>,
): WildcardPlan {
  const plan: WildcardPlan = { wants: [], notices: [], refusals: [] };
  const taken = new Map<string, string>();
  specs.forEach((spec, i) => {
    const enabled = listings[i]!.filter(
      (s) => s.status === "enabled" && s.name.startsWith(spec.namePrefix),
    );
    if (enabled.length === 0) {
      plan.refusals.push(`--all ${spec.text}: no enabled secret you can list there`);
    }
    for (const { name } of enabled) {
      const secret = `${spec.owner}/${name}`;
      const target = prefix + envNameOf(name);
      const by = explicit.get(target.toUpperCase());
      if (by !== undefined) {
        plan.notices.push(`${secret} skipped: ${target} is set by ${by}`);
        continue;
      }
      if (!ENV_NAME_RE.test(target)) {
        plan.refusals.push(`${secret} would set ${JSON.stringify(target)}, not a variable name`);
        continue;
      }
      if (isReservedVariable(target)) {
        plan.refusals.push(
          `${secret} would set ${target}, which --all may not set (it changes what runs); use --prefix ${suggestedPrefix(spec.owner)} or --env ${target}=${secret}`,
        );
        continue;
      }
      const earlier = taken.get(target.toUpperCase());
      if (earlier === secret) continue;
      if (earlier !== undefined) {
        plan.refusals.push(
          `${secret} and ${earlier} would both set ${target}; set it with --env ${target}=…`,
        );
        continue;
      }
      taken.set(target.toUpperCase(), secret);
      plan.wants.push({ spec, secret, target, item: { secret } });
    }
  });
  return plan;
}
