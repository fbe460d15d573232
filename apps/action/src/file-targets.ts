/**
 * Where the `files` lines will write, settled before anything is fetched or written, so that a
 * refused line leaves nothing behind (the step writes all its files or none):
 * - a leading `~/` is the home directory (`os.homedir()`); other paths are resolved against
 *   the working directory (the workspace on a runner);
 * - the deepest parent that exists is resolved to its real path (symbolic links followed) and
 *   the file is written there: the post step then removes the file that was written, wherever
 *   a link would point later;
 * - a target that exists (a file, a directory, a symbolic link, even a dangling one) is
 *   refused: the post step deletes what the action wrote, so writing over `~/.npmrc` would
 *   first overwrite it and then destroy it (`coffer run --volume` never overwrites either);
 * - two lines that come to one file (`~/a` and `/home/runner/a`) are refused.
 */
import { lstat, realpath } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { errnoCode, failureMessage } from "./errors.js";
import { InputLineError, type OneRequest } from "./input-lines.js";

/** Why the action refuses an existing target (also on a race, when writing finds it there). */
export const existsReason = (file: string): string =>
  `${file} exists; the action does not overwrite files (choose a new path, e.g. under \${{ runner.temp }})`;

/** The absolute path a target names: `~/` from the home directory, else from the cwd. */
export function expandTarget(target: string): string {
  return path.resolve(target.startsWith("~/") ? path.join(os.homedir(), target.slice(2)) : target);
}

/** The file's path with its deepest existing parent resolved to its real path. */
async function realTargetOf(file: string): Promise<string> {
  const missing = [path.basename(file)];
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    try {
      return path.join(await realpath(dir), ...missing);
    } catch (error) {
      if (errnoCode(error) !== "ENOENT" || path.dirname(dir) === dir) throw error;
    }
    missing.unshift(path.basename(dir));
  }
}

const exists = (file: string): Promise<boolean> =>
  lstat(file).then(
    () => true,
    (error: unknown) => {
      if (errnoCode(error) === "ENOENT") return false;
      throw error;
    },
  );

/** The `files` requests with their targets as real absolute paths; throws on the first refusal. */
export async function settleFileTargets(files: readonly OneRequest[]): Promise<OneRequest[]> {
  const byFile = new Map<string, number>();
  const settled: OneRequest[] = [];
  for (const request of files) {
    const refuse = (reason: string): never => {
      throw new InputLineError("files", request.line, reason);
    };
    const written = expandTarget(request.target);
    const file = await realTargetOf(written).catch((error: unknown) =>
      refuse(`cannot use ${written}: ${failureMessage(error)}`),
    );
    const found = await exists(file).catch((error: unknown) =>
      refuse(`cannot use ${file}: ${failureMessage(error)}`),
    );
    if (found) refuse(existsReason(file));
    const earlier = byFile.get(file);
    if (earlier !== undefined) refuse(`${file} is already written by line ${earlier}`);
    byFile.set(file, request.line);
    settled.push({ ...request, target: file });
  }
  return settled;
}
