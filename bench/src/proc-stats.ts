/** What Linux's /proc says about processes and the machine (null elsewhere or when gone). */
import { readdir, readFile } from "node:fs/promises";
import os from "node:os";

/** USER_HZ, 100 on every mainstream Linux. */
const TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat after "(comm)", and the comm itself. */
async function stat(pid: number | string): Promise<{ comm: string; fields: string[] } | null> {
  const text = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  const close = text.lastIndexOf(")");
  if (close < 0) return null;
  return {
    comm: text.slice(text.indexOf("(") + 1, close),
    fields: text.slice(close + 2).split(" "),
  };
}

/** CPU seconds (user + system) a process has used so far. */
export async function processCpuSeconds(pid: number): Promise<number | null> {
  const s = await stat(pid);
  // State is field 3 of the stat line, utime 14 and stime 15: indexes 11 and 12 after comm.
  return s === null ? null : (Number(s.fields[11]) + Number(s.fields[12])) / TICKS_PER_SECOND;
}

/** CPU seconds used so far by processes named `postgres` (null off Linux). */
export async function postgresCpuSeconds(): Promise<number | null> {
  if (os.platform() !== "linux") return null;
  let seconds = 0;
  for (const pid of await readdir("/proc").catch(() => [])) {
    if (!/^\d+$/.test(pid)) continue;
    const s = await stat(pid);
    if (s?.comm !== "postgres") continue;
    seconds += (Number(s.fields[11]) + Number(s.fields[12])) / TICKS_PER_SECOND;
  }
  return seconds;
}

/** Resident memory of a process in MiB (VmRSS), or null. */
export async function residentMiB(pid: number): Promise<number | null> {
  const text = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(text)?.[1];
  return kb === undefined ? null : Number(kb) / 1024;
}

/** The 1-minute load average, as /proc/loadavg and os.loadavg() give it. */
export const load1 = (): number => os.loadavg()[0] ?? 0;
