/**
 * Values leave the action here, in this order:
 * 1. masks: every piece `masksFor` gives for every value, all registered before anything else
 *    (SPEC §10), whether or not the step then succeeds;
 * 2. environment variables (`export-env`) and step outputs (`outputs`), named by their target;
 * 3. files, each recorded for the post step as soon as it is written.
 */
import * as core from "@actions/core";
import { ActionError, failureMessage } from "./errors.js";
import { where, type Resolved } from "./fetch-plan.js";
import { masksFor } from "./masks.js";
import { writeSecretFile } from "./secret-files.js";
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

export async function exportSecrets(
  resolved: readonly Resolved[],
  options: ExportOptions,
): Promise<ExportSummary> {
  const summary: ExportSummary = { variables: [], outputs: [], files: [] };
  const written: WrittenFile[] = [];
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
  for (const { origin, dest, value } of resolved) {
    if (dest.kind !== "file") continue;
    const file = await writeSecretFile(dest.path, value).catch((error: unknown) => {
      throw new ActionError(
        `${where(origin)}: cannot write ${dest.path}: ${failureMessage(error)}`,
      );
    });
    written.push(file);
    saveWrittenFiles(written);
    summary.files.push(file.path);
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
