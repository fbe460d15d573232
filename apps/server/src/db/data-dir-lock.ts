/**
 * Embedded PostgreSQL (PGlite) has no lock of its own: two processes opening one data
 * directory would both write to it and corrupt it. So whoever opens it (the server, the
 * break-glass command) holds a lock file beside it with its process id; a lock left by a
 * process that no longer runs is taken over.
 */
import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";

/** The directory is in use by another process (a running server). */
export class DataDirBusyError extends Error {}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Locks this process holds: its own pid in a lock file is then a live holder, not a leftover. */
const held = new Set<string>();

/**
 * Creates `file` holding this process's id, atomically: written under a unique name, then
 * linked into place (a link never replaces an existing file). So a reader never sees the
 * file empty, and never takes a fresh lock for a stale one.
 */
async function createLockFile(file: string): Promise<boolean> {
  const temp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}`;
  await writeFile(temp, `${process.pid}\n`, { flag: "wx", mode: 0o600 });
  try {
    await link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
}

/** Takes the lock of `dir` (`<dir>.lock`); resolves to the function that releases it. */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const file = `${dir}.lock`;
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await createLockFile(file)) {
      held.add(file);
      return async () => {
        held.delete(file);
        await rm(file, { force: true });
      };
    }
    const pid = Number((await readFile(file, "utf8").catch(() => "")).trim());
    // Our own id in a lock we do not hold: left by an earlier process that had the same id
    // (pid 1 in a restarted container).
    const ours = pid === process.pid && !held.has(file);
    if (Number.isInteger(pid) && pid > 0 && !ours && running(pid)) {
      throw new DataDirBusyError(
        `the embedded database ${dir} is in use by process ${pid} (a running Coffer server): ` +
          `stop the server first (if no server runs, remove ${file})`,
      );
    }
    await rm(file, { force: true }); // left by a process that ended
  }
  throw new DataDirBusyError(`could not lock the embedded database ${dir} (${file})`);
}
