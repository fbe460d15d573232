/**
 * Embedded PostgreSQL (PGlite) has no lock of its own: two processes opening one data
 * directory would both write to it and corrupt it. So whoever opens it (the server, the
 * break-glass command) holds a lock file beside it with its process id; a lock left by a
 * process that no longer runs is taken over.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
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

/** Takes the lock of `dir` (`<dir>.lock`); resolves to the function that releases it. */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const file = `${dir}.lock`;
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(file, `${process.pid}\n`, { flag: "wx", mode: 0o600 });
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const pid = Number((await readFile(file, "utf8").catch(() => "")).trim());
    if (Number.isInteger(pid) && pid > 0 && running(pid)) {
      throw new DataDirBusyError(
        `the embedded database ${dir} is in use by process ${pid} (a running Coffer server): ` +
          `stop the server first (if no server runs, remove ${file})`,
      );
    }
    await rm(file, { force: true }); // left by a process that ended
  }
  throw new DataDirBusyError(`could not lock the embedded database ${dir} (${file})`);
}
