/**
 * The main step: runner files and `isPost` first, inputs, file targets, sign-in, one fetch,
 * masks, then exports. Nothing after the fetch happens before every value's masks are
 * registered.
 */
import * as core from "@actions/core";
import { runnerFiles } from "./env.js";
import { ActionError } from "./errors.js";
import { describeSummary, exportSecrets, registerMasks } from "./export.js";
import { describeUnresolved, type Unresolved } from "./fetch-plan.js";
import { fetchSecrets } from "./fetch-secrets.js";
import { settleFileTargets } from "./file-targets.js";
import { readInputs, type ActionInputs } from "./inputs.js";
import { signIn } from "./sign-in.js";
import { markMainStarted } from "./state.js";

const TOO_OLD = "this runner is too old for environment files (runner 2.297.0 or later)";

/**
 * Checked before anything else: without GITHUB_STATE, @actions/core would print `isPost` as a
 * `::save-state` command, which a runner may drop, and the post step would take itself for the
 * main step. With this first, a post step that does not find `isPost` fails here too, before
 * any request.
 */
function requireStateFile(): void {
  if (runnerFiles().state === undefined) throw new ActionError(`GITHUB_STATE not set: ${TOO_OLD}`);
}

/** Without its file, @actions/core would write the command (and its value) to the log. */
function requireExportFiles(inputs: ActionInputs): void {
  const files = runnerFiles();
  const missing = [
    ["GITHUB_ENV", inputs.exportEnv && files.env === undefined],
    ["GITHUB_OUTPUT", inputs.outputs && files.output === undefined],
  ].flatMap(([name, isMissing]) => (isMissing ? [name] : []));
  if (missing.length > 0) throw new ActionError(`${missing.join(", ")} not set: ${TOO_OLD}`);
}

function reportUnresolved(unresolved: readonly Unresolved[], ignoreMissing: boolean): void {
  if (unresolved.length === 0) return;
  const messages = unresolved.map(describeUnresolved);
  if (ignoreMissing) {
    for (const message of messages) core.warning(`${message}; skipped (ignore-missing)`);
    return;
  }
  const count = unresolved.length === 1 ? "1 reference" : `${unresolved.length} references`;
  throw new ActionError(
    [`${count} could not be read (ignore-missing: true skips them):`, ...messages].join("\n"),
  );
}

export async function runMain(): Promise<void> {
  // First: the post step always runs, and must know it is the post step (state.ts).
  requireStateFile();
  markMainStarted();
  const inputs = readInputs();
  requireExportFiles(inputs);
  // Before the fetch: a file line that would overwrite something fails with nothing read.
  const files = await settleFileTargets(inputs.files);
  const client = await signIn(inputs.url, inputs.credentials);
  const outcome = await fetchSecrets(client, inputs.secrets, files);
  registerMasks(outcome.resolved.map((r) => r.value));
  for (const notice of outcome.notices) core.info(notice);
  if (outcome.refusals.length > 0) throw new ActionError(outcome.refusals.join("\n"));
  reportUnresolved(outcome.unresolved, inputs.ignoreMissing);
  const summary = await exportSecrets(outcome.resolved, inputs);
  core.info(`Coffer: ${describeSummary(summary)}`);
}
