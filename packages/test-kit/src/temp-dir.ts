/** Temporary directories for tests, made under the OS's temporary directory and removed. */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export interface TempDir {
  dir: string;
  /** Removes the directory and everything in it (no error when already gone). */
  remove: () => Promise<void>;
}

export async function tempDir(prefix: string): Promise<TempDir> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
