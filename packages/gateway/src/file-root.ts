/**
 * Which folders the `file` backend may not take as its root: the file system's root and the
 * system's own folders (`/etc`, `/proc`, `/home`, `/var`…), and the home folder of the user the
 * gateway runs as. Every file under a root can be named by a reference (an allow-list pattern
 * included), so such a root would offer keys, password files and the process's environment
 * (`/proc/self/environ`). Checked on the path as given (made absolute) and on its real path
 * when it exists (a symlink to `/` is refused too). Subfolders are fine: `/run/secrets`,
 * `/var/run/secrets/…`, `/etc/gateway/secrets`.
 */
import { realpathSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";

const SYSTEM_FOLDERS: ReadonlySet<string> = new Set([
  "/bin",
  "/boot",
  "/dev",
  "/etc",
  "/home",
  "/lib",
  "/lib64",
  "/proc",
  "/root",
  "/run",
  "/sbin",
  "/sys",
  "/tmp",
  "/usr",
  "/var",
]);

function refusal(folder: string): string | undefined {
  if (path.parse(folder).root === folder) return `${folder} is the file system's root`;
  if (SYSTEM_FOLDERS.has(folder)) return `${folder} is a system folder`;
  if (folder === homedir()) return `${folder} is the home folder`;
  return undefined;
}

/** Why `root` cannot be the file backend's root, or undefined when it can. */
export function fileRootProblem(root: string): string | undefined {
  const absolute = path.resolve(root);
  let real: string | undefined;
  try {
    real = realpathSync(absolute);
  } catch {
    real = undefined; // not there yet: the backend tries again at each read
  }
  const why = refusal(absolute) ?? (real !== undefined ? refusal(real) : undefined);
  if (why === undefined) return undefined;
  return `${why}: every file under the root can be referenced; use a folder that holds only the gateway's secrets`;
}
