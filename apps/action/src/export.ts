/**
 * Values leave the action here, in this order:
 * 1. masks: every piece `masksFor` gives for every value, all registered before anything else
 *    (SPEC §10), whether or not the step then succeeds;
 * 2. files, each recorded for the post step as soon as it is written, all or none (their
 *    targets were checked before the fetch: file-targets.ts);
 * 3. environment variables (`export-env`) and step outputs (`outputs`), named by their target.
 */
import * as core from "@actions/core";
import { ActionError, failureMessage } from "./errors.js";
import { where, type Resolved } from "./fetch-plan.js";
import { masksFor } from "./masks.js";
import { removeMadeDirs, removeSecretFiles, writeSecretFile } from "./secret-files.js";
import { saveWrittenFiles, type WrittenFile } from "./state.js";

export interface ExportOptions {
  exportEnv: boolean;
  outputs: boolean;
}

export interface ExportSummary {
  variables: string[];
  outputs: string[];
  files: string[];
}

/** Registers every mask of every value (each once, longest first). */
export function registerMasks(values: Iterable<string>): void {
  const masks = new Set<string>();
  for (const value of values) for (const mask of masksFor(value)) masks.add(mask);
  for (const mask of [...masks].sort((a, b) => b.length - a.length)) core.setSecret(mask);
}

/** What became of the files written before a failed one. */
function undone(written: number, left: number): string {
  if (written === 0) return "";
  if (left > 0)
    return ` (${left} of the ${written} files written before it could not be removed; the post step tries again)`;
  return written === 1
    ? " (the file written before it was removed)"
    : ` (the ${written} files written before it were removed)`;
}

/**
 * Writes every file, or none: on a failure the files already written are removed again (those
 * that cannot be stay in the state, for the post step) and the failure names its line.
 */
async function writeFiles(resolved: readonly Resolved[]): Promise<string[]> {
  const written: WrittenFile[] = [];
  for (const { origin, dest, value } of resolved) {
    if (dest.kind !== "file") continue;
    try {
      written.push(await writeSecretFile(dest.path, value));
    } catch (error) {
      const left = await removeSecretFiles(written);
      await removeMadeDirs(written).catch(() => undefined); // empty directories: harmless
      saveWrittenFiles(left.map(({ file }) => file));
      throw new ActionError(
        `${where(origin)}: cannot write ${dest.path}: ${failureMessage(error)}${undone(written.length, left.length)}`,
      );
    }
    saveWrittenFiles(written);
  }
  return written.map((file) => file.path);
}

export async function exportSecrets(
  resolved: readonly Resolved[],
  options: ExportOptions,
): Promise<ExportSummary> {
  // Files first: they are the part that can fail, and then nothing is exported.
  const summary: ExportSummary = { variables: [], outputs: [], files: await writeFiles(resolved) };
  for (const { dest, value } of resolved) {
    if (dest.kind !== "env") continue;
    if (options.exportEnv) {
      core.exportVariable(dest.name, value);
      summary.variables.push(dest.name);
    }
    if (options.outputs) {
      core.setOutput(dest.name, value);
      summary.outputs.push(dest.name);
    }
  }
  return summary;
}

/** `3 environment variables (A, B, C), 2 files (/tmp/a, /tmp/b)`: names only, never values. */
export function describeSummary(summary: ExportSummary): string {
  const part = (count: number, noun: string, names: readonly string[]): string =>
    `${count} ${noun}${count === 1 ? "" : "s"}${names.length > 0 ? ` (${names.join(", ")})` : ""}`;
  return [
    part(summary.variables.length, "environment variable", summary.variables),
    part(summary.outputs.length, "output", summary.outputs),
    part(summary.files.length, "file", summary.files),
  ].join(", ");
}
