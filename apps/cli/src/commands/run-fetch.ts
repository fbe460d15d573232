/**
 * What `coffer run` injects, fetched in one round trip of reveals: `--all` owners are listed
 * first (metadata only, all owners in one request), then every value (`--env`, `--volume`,
 * references in the inherited environment and in `--env-file`, and the `--all` secrets) is
 * revealed by `secret.batchReveal` calls of at most MAX_BATCH_REVEAL items each, made together
 * so that the client sends them as one HTTP request (up to MAX_BATCH_CALLS calls, i.e. 5,000
 * items; beyond that the client splits the batch into more requests, made in parallel).
 *
 * Precedence, lowest first: the inherited environment (COFFER_* removed), `--all`, `--env-file`
 * (in order), `--env`.
 */
import type { CofferClient } from "@coffer/client";
import { MAX_BATCH_REVEAL, type RevealInput } from "@coffer/core";
import { inheritedEnvironment } from "../env.js";
import { CliError } from "../errors.js";
import { listWildcards, planWildcards, type AllSpec } from "./run-all.js";
import { spliceValues, templatedVariables, type TemplatedVariable } from "./run-env.js";

export interface RunRequest {
  envs: { name: string; ref: string; item: RevealInput }[];
  volumes: { ref: string; file: string; item: RevealInput }[];
  envFiles: { file: string; vars: Record<string, string> }[];
  all: AllSpec[];
  prefix: string;
}

export interface Injection {
  env: NodeJS.ProcessEnv;
  /** The volume files' values, in the order of `--volume`. */
  files: string[];
  /** Every secret value injected (for --mask), with the variable or file it went to. */
  injected: { to: string; value: string }[];
  notices: string[];
  /** The secrets asked for, as written (for --watch). */
  secrets: string[];
}

interface Asked {
  item: RevealInput;
  /** Where its value goes, as errors name it. */
  label: string;
  /** From `--all`: FORBIDDEN skips it instead of failing. */
  wildcard?: { target: string };
}

/** `connect` is called only when something is to be fetched. */
export async function fetchInjection(
  connect: () => Promise<CofferClient>,
  request: RunRequest,
): Promise<Injection> {
  const inherited = inheritedEnvironment();
  const templated: TemplatedVariable[] = templatedVariables(inherited, "the environment");
  const fileVars = request.envFiles.map(({ file, vars }) => ({
    vars,
    templated: templatedVariables(vars, `--env-file ${file}`),
  }));
  const explicit = new Map<string, string>();
  for (const { file, vars } of request.envFiles)
    for (const name of Object.keys(vars)) explicit.set(name.toUpperCase(), `--env-file ${file}`);
  for (const e of request.envs) explicit.set(e.name.toUpperCase(), `--env ${e.name}`);

  const asked: Asked[] = [
    ...request.envs.map((e) => ({ item: e.item, label: e.ref })),
    ...request.volumes.map((v) => ({ item: v.item, label: v.ref })),
    ...[...templated, ...fileVars.flatMap((f) => f.templated)].flatMap((t) =>
      t.items.map((item) => ({ item, label: `${t.name} (${t.from}): ${item.secret}` })),
    ),
  ];
  const notices: string[] = [];
  if (request.all.length > 0) {
    const listings = await listWildcards(await connect(), request.all);
    const plan = planWildcards(request.all, listings, request.prefix, explicit);
    if (plan.refusals.length > 0)
      throw new CliError(`not started:\n  ${plan.refusals.join("\n  ")}`);
    notices.push(...plan.notices);
    for (const w of plan.wants)
      asked.push({ item: w.item, label: w.secret, wildcard: { target: w.target } });
  }

  const answers = await revealAll(connect, asked);
  const failed: string[] = [];
  const values: (string | undefined)[] = answers.map((answer, i) => {
    const { item, label, wildcard } = asked[i]!;
    if (answer.ok) return answer.value;
    if (wildcard && answer.error.errorCode === "FORBIDDEN") {
      notices.push(`${item.secret} skipped: you may list it but not read it`);
    } else {
      failed.push(`${label} (${answer.error.errorCode}: ${answer.error.message})`);
    }
    return undefined;
  });
  if (failed.length > 0) throw new CliError(`not started; cannot read:\n  ${failed.join("\n  ")}`);

  let at = 0;
  const next = (count: number): string[] => values.slice(at, (at += count)) as string[];
  const injected: Injection["injected"] = [];
  const envValues = next(request.envs.length);
  const files = next(request.volumes.length);
  request.volumes.forEach((v, i) => injected.push({ to: v.file, value: files[i]! }));
  const env: NodeJS.ProcessEnv = { ...inherited };
  /** The values of a variable's references, each injected. */
  const take = (t: TemplatedVariable): [TemplatedVariable, string[]] => {
    const taken = next(t.items.length);
    for (const value of taken) injected.push({ to: t.name, value });
    return [t, taken];
  };
  for (const [t, v] of templated.map(take)) env[t.name] = spliceValues(t, v);
  const fileSplices = fileVars.map((f) => f.templated.map(take));
  asked.slice(at).forEach(({ wildcard }, i) => {
    const value = values[at + i];
    if (wildcard && value !== undefined) {
      env[wildcard.target] = value;
      injected.push({ to: wildcard.target, value });
    }
  });
  fileVars.forEach((f, i) => {
    Object.assign(env, f.vars);
    for (const [t, v] of fileSplices[i]!) env[t.name] = spliceValues(t, v);
  });
  request.envs.forEach((e, i) => {
    env[e.name] = envValues[i];
    injected.push({ to: e.name, value: envValues[i]! });
  });
  return {
    env,
    files,
    injected,
    notices,
    secrets: [...new Set(asked.map((a) => a.item.secret))],
  };
}

type Answer =
  { ok: true; value: string } | { ok: false; error: { errorCode: string; message: string } };

/** Every item, in order: the batches are made together (one HTTP request). */
async function revealAll(
  connect: () => Promise<CofferClient>,
  asked: readonly Asked[],
): Promise<Answer[]> {
  if (asked.length === 0) return [];
  const batches: RevealInput[][] = [];
  for (let i = 0; i < asked.length; i += MAX_BATCH_REVEAL)
    batches.push(asked.slice(i, i + MAX_BATCH_REVEAL).map((a) => a.item));
  const c = await connect();
  const results = await Promise.all(batches.map((items) => c.secret.batchReveal.mutate({ items })));
  return results.flat();
}
