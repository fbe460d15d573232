/**
 * Files the `files` input writes, and their removal by the post step.
 * - Targets are settled first (file-targets.ts): absolute, real parent, not existing.
 * - A value is written exactly (no newline added), created with mode 0600 and only if nothing
 *   is there (`wx`: never over a file, never through a symbolic link): what the post step
 *   removes is only ever what the action wrote.
 * - Missing parent directories are created with mode 0700; the outermost one made is recorded
 *   so the post step removes those directories too, once they are empty.
 */
import { mkdir, open, rm, rmdir } from "node:fs/promises";
import path from "node:path";
import { errnoCode } from "./errors.js";
import { existsReason } from "./file-targets.js";
import type { WrittenFile } from "./state.js";

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
      if (!["ENOENT", "ENOTEMPTY", "EEXIST"].includes(errnoCode(error) ?? "")) throw error;
    }
  }
}

/** Creates the file, mode 0600, only if nothing is there; removes it if writing fails. */
async function createWith(file: string, value: string): Promise<void> {
  const handle = await open(file, "wx", 0o600).catch((error: unknown) => {
    // Made since the targets were settled: not ours to write over, nor to remove.
    throw errnoCode(error) === "EEXIST" ? new Error(existsReason(file)) : error;
  });
  try {
    await handle.writeFile(value);
  } catch (error) {
    await rm(file, { force: true });
    throw error;
  } finally {
    await handle.close();
  }
}

/** Writes a new file at an absolute path (settled: see file-targets.ts). */
export async function writeSecretFile(file: string, value: string): Promise<WrittenFile> {
  const madeDir = await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const written: WrittenFile = madeDir === undefined ? { path: file } : { path: file, madeDir };
  try {
    await createWith(file, value);
  } catch (error) {
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
    if (errnoCode(error) !== "ENOENT") throw error;
    return "gone";
  }
}

/** Removes each written file (telling `removed` or `gone`); the ones that cannot be, and why. */
export async function removeSecretFiles(
  files: readonly WrittenFile[],
  tell: (file: WrittenFile, outcome: "removed" | "gone") => void = () => undefined,
): Promise<{ file: WrittenFile; error: unknown }[]> {
  const failures: { file: WrittenFile; error: unknown }[] = [];
  for (const file of files) {
    try {
      tell(file, await removeSecretFile(file));
    } catch (error) {
      failures.push({ file, error });
    }
  }
  return failures;
}
