/**
 * Files the `files` input writes, and their removal by the post step.
 * - A value is written exactly (no newline added) to a temporary file created with mode 0600
 *   beside the target, then renamed over it: the target is 0600 whether or not it existed, is
 *   never seen half-written, and a symbolic link at the target is replaced, not followed.
 * - Missing parent directories are created with mode 0700; the outermost one made is recorded
 *   so the post step removes those directories too, once they are empty.
 * Paths are resolved against the working directory (the workspace on a runner).
 */
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, rmdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { WrittenFile } from "./state.js";

const codeOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

/** Each directory from the file's up to the one made for it, inclusive. */
function madeDirsOf({ path: file, madeDir }: WrittenFile): string[] {
  if (madeDir === undefined) return [];
  const dirs: string[] = [];
  for (let dir = path.dirname(file); dir === madeDir || dir.startsWith(madeDir + path.sep);) {
    dirs.push(dir);
    dir = path.dirname(dir);
  }
  return dirs;
}

/**
 * Removes the directories made for these files that are empty now, deepest first (so a
 * directory made for one file and holding another's goes once both files are gone).
 */
export async function removeMadeDirs(files: readonly WrittenFile[]): Promise<void> {
  const dirs = [...new Set(files.flatMap(madeDirsOf))].sort((a, b) => b.length - a.length);
  for (const dir of dirs) {
    try {
      await rmdir(dir);
    } catch (error) {
      if (!["ENOENT", "ENOTEMPTY", "EEXIST"].includes(codeOf(error) ?? "")) throw error;
    }
  }
}

export async function writeSecretFile(target: string, value: string): Promise<WrittenFile> {
  const file = path.resolve(target);
  const dir = path.dirname(file);
  const madeDir = await mkdir(dir, { recursive: true, mode: 0o700 });
  const written: WrittenFile = madeDir === undefined ? { path: file } : { path: file, madeDir };
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await writeFile(temp, value, { mode: 0o600, flag: "wx" });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    await removeMadeDirs([written]);
    throw error;
  }
  return written;
}

/** Removes a written file; "gone" when it already was. */
export async function removeSecretFile(file: WrittenFile): Promise<"removed" | "gone"> {
  try {
    await rm(file.path);
    return "removed";
  } catch (error) {
    if (codeOf(error) !== "ENOENT") throw error;
    return "gone";
  }
}
