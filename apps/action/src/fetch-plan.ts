/**
 * From requests to reveal items, and from the server's answers to values at their targets
 * (pure; fetch-secrets.ts makes the calls).
 *
 * - Explicit references (`secrets` and `files` lines) each become one batch-reveal item; equal
 *   items are asked once, in batches of at most MAX_BATCH_REVEAL.
 * - `OWNER/*` takes the owner's enabled secrets the caller can list, each to prefix + its env
 *   name. A listed secret the caller may not read (FORBIDDEN) is skipped with a notice; an owner
 *   with no enabled secret the caller can list is an unresolved line.
 * - A variable set by an explicit line wins over one a wildcard would set (notice). Two
 *   wildcard secrets that would set one variable, and a wildcard secret that would set a
 *   reserved variable (reserved-variables.ts: PATH, LD_PRELOAD…), are refused: they fail the
 *   step, ignore-missing or not (after the masks, like everything once values have arrived),
 *   and a refused secret is not revealed.
 * - Any other per-item failure is unresolved, named by its line and its text as written.
 */
import { MAX_BATCH_REVEAL, revealItemOf, type RevealInput } from "@coffer/core";
import {
  envNameOf,
  suggestedPrefix,
  type OneRequest,
  type OwnerRequest,
  type SecretRequest,
} from "./input-lines.js";
import { isReservedVariable } from "./reserved-variables.js";

export type Destination = { kind: "env"; name: string } | { kind: "file"; path: string };

/** A line of an input, as errors name it. */
export interface Origin {
  input: "secrets" | "files";
  line: number;
  /** REF as written (`OWNER/*` for a wildcard). */
  text: string;
}

export interface Want {
  origin: Origin;
  item: RevealInput;
  dest: Destination;
  /** From an `OWNER/*` line: a FORBIDDEN answer skips it instead of failing. */
  wildcard: boolean;
}

/** One batch-reveal answer, as the server gives it (only what is read here). */
export type RevealAnswer =
  { ok: true; value: string } | { ok: false; error: { errorCode: string; message: string } };

/** A secret as `secret.list` describes it (only what is read here). */
export interface Listed {
  name: string;
  status: string;
}

export interface Resolved {
  origin: Origin;
  dest: Destination;
  value: string;
}

/** A reference that could not be read, and why (the server's words, or the wildcard rule). */
export interface Unresolved {
  origin: Origin;
  reason: string;
}

export interface Outcome {
  resolved: Resolved[];
  unresolved: Unresolved[];
  /** What was skipped and why (never a value). */
  notices: string[];
  /**
   * Wildcard secrets refused (two for one variable, or one for a reserved variable): these
   * fail the step, ignore-missing or not.
   */
  refusals: string[];
}

/** `secrets line 3: "ml/openai_key"`. */
export const where = (origin: Origin): string =>
  `${origin.input} line ${origin.line}: ${JSON.stringify(origin.text)}`;

/** `secrets line 3: "ml/nope": secret://default/ml/nope not found (NOT_FOUND)`. */
export const describeUnresolved = ({ origin, reason }: Unresolved): string =>
  `${where(origin)}: ${reason}`;

/** In the order of the inputs' lines: secrets, then files. */
export const byOrigin = (a: { origin: Origin }, b: { origin: Origin }): number =>
  a.origin.input === b.origin.input
    ? a.origin.line - b.origin.line
    : a.origin.input === "secrets"
      ? -1
      : 1;

/** Equal items (same secret, version, stage and key) have equal keys. */
export const itemKey = (item: RevealInput): string =>
  JSON.stringify([item.secret, item.version ?? null, item.stage ?? null, item.key ?? null]);

function explicitWant(input: Origin["input"], request: OneRequest): Want {
  return {
    origin: { input, line: request.line, text: request.text },
    item: revealItemOf(request.reference),
    dest:
      input === "secrets"
        ? { kind: "env", name: request.target }
        : { kind: "file", path: request.target },
    wildcard: false,
  };
}

/** Every explicit reference of both inputs, in input order. */
export function explicitWants(
  secrets: readonly SecretRequest[],
  files: readonly OneRequest[],
): Want[] {
  return [
    ...secrets.flatMap((r) => (r.kind === "one" ? [explicitWant("secrets", r)] : [])),
    ...files.map((r) => explicitWant("files", r)),
  ];
}

/** The owners of the `OWNER/*` lines, each once. */
export function ownersOf(secrets: readonly SecretRequest[]): string[] {
  return [...new Set(secrets.flatMap((r) => (r.kind === "owner" ? [r.owner] : [])))];
}

/** The distinct items, in batches the server takes. */
export function revealBatches(items: readonly RevealInput[]): RevealInput[][] {
  const distinct = [...new Map(items.map((item) => [itemKey(item), item])).values()];
  const batches: RevealInput[][] = [];
  for (let i = 0; i < distinct.length; i += MAX_BATCH_REVEAL) {
    batches.push(distinct.slice(i, i + MAX_BATCH_REVEAL));
  }
  return batches;
}

export type WildcardPlan = Omit<Outcome, "resolved"> & { wants: Want[] };

/** The variables explicit lines set (uppercased, as the parser compares them) → their line. */
function explicitTargets(explicit: readonly Want[]): Map<string, number> {
  const targets = new Map<string, number>();
  for (const want of explicit) {
    if (want.dest.kind === "env") targets.set(want.dest.name.toUpperCase(), want.origin.line);
  }
  return targets;
}

/** `secrets line 2: "ml/*": ml/path would set PATH, …`: the line, the secret, the variable. */
function reservedRefusal(
  origin: Origin,
  { owner, prefix }: OwnerRequest,
  secret: string,
  target: string,
): string {
  const another = prefix === "" ? "a prefix" : "another prefix";
  return `${where(origin)}: ${secret} would set ${target}, which a wildcard may not set (it can change what later steps run); give the line ${another} (${owner}/* > ${suggestedPrefix(owner)}) or set ${target} with a line of its own (${secret} > ${target})`;
}

/** What the `OWNER/*` lines ask for, given each owner's listing. */
export function wildcardWants(
  secrets: readonly SecretRequest[],
  listings: ReadonlyMap<string, readonly Listed[]>,
  explicit: readonly Want[],
): WildcardPlan {
  const plan: WildcardPlan = { wants: [], unresolved: [], notices: [], refusals: [] };
  const taken = explicitTargets(explicit);
  const fromWildcards = new Map<string, { secret: string; line: number }>();
  for (const request of secrets) {
    if (request.kind !== "owner") continue;
    const origin: Origin = { input: "secrets", line: request.line, text: request.text };
    const enabled = (listings.get(request.owner) ?? []).filter((s) => s.status === "enabled");
    if (enabled.length === 0) {
      plan.unresolved.push({
        origin,
        reason: `${request.owner} has no enabled secret you can list`,
      });
      continue;
    }
    for (const { name } of enabled) {
      const secret = `${request.owner}/${name}`;
      const target = request.prefix + envNameOf(name);
      const explicitLine = taken.get(target.toUpperCase());
      if (explicitLine !== undefined) {
        plan.notices.push(
          `${where(origin)}: ${secret} skipped, ${target} is set by secrets line ${explicitLine}`,
        );
        continue;
      }
      if (isReservedVariable(target)) {
        plan.refusals.push(reservedRefusal(origin, request, secret, target));
        continue;
      }
      const earlier = fromWildcards.get(target.toUpperCase());
      if (earlier?.secret === secret) continue; // the same secret to the same name, again
      if (earlier !== undefined) {
        plan.refusals.push(
          `${where(origin)}: ${secret} and ${earlier.secret} (line ${earlier.line}) would both set ${target}; set ${target} with a line of its own`,
        );
        continue;
      }
      fromWildcards.set(target.toUpperCase(), { secret, line: request.line });
      plan.wants.push({
        origin,
        item: { secret },
        dest: { kind: "env", name: target },
        wildcard: true,
      });
    }
  }
  return plan;
}

/** Each want with its answer: a value at its target, a notice, or an unresolved reference. */
export function resolveWants(
  wants: readonly Want[],
  answers: ReadonlyMap<string, RevealAnswer>,
): Outcome {
  const outcome: Outcome = { resolved: [], unresolved: [], notices: [], refusals: [] };
  for (const want of wants) {
    const answer = answers.get(itemKey(want.item));
    if (answer === undefined) throw new Error(`${where(want.origin)}: the server gave no answer`);
    if (answer.ok) {
      outcome.resolved.push({ origin: want.origin, dest: want.dest, value: answer.value });
    } else if (want.wildcard && answer.error.errorCode === "FORBIDDEN") {
      outcome.notices.push(
        `${where(want.origin)}: ${want.item.secret} skipped, you may list it but not read it`,
      );
    } else {
      outcome.unresolved.push({
        origin: want.origin,
        reason: `${answer.error.message} (${answer.error.errorCode})`,
      });
    }
  }
  return outcome;
}
