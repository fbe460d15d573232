import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DataDirBusyError, lockDataDir } from "./data-dir-lock.js";

let dir: string;
let db: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "coffer-lock-"));
  db = path.join(dir, "db");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("lockDataDir", () => {
  it("writes its process id and removes the lock on release", async () => {
    const release = await lockDataDir(db);
    expect((await readFile(`${db}.lock`, "utf8")).trim()).toBe(String(process.pid));
    await release();
    await expect(readFile(`${db}.lock`, "utf8")).rejects.toThrow(/ENOENT/);
  });

  it("one holder at a time: of many concurrent takers exactly one gets it", async () => {
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => lockDataDir(db)));
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    for (const r of results)
      if (r.status === "rejected") expect(r.reason).toBeInstanceOf(DataDirBusyError);
  });

  it("refuses while another live process holds it", async () => {
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]);
    try {
      await writeFile(`${db}.lock`, `${child.pid}\n`);
      await expect(lockDataDir(db)).rejects.toThrow(/in use by process \d+.*stop the server first/);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("takes over a lock left by a process that ended, or by an earlier process with our id", async () => {
    const child = spawn(process.execPath, ["-e", "0"]);
    await new Promise((resolve) => child.once("exit", resolve));
    await writeFile(`${db}.lock`, `${child.pid}\n`);
    await (
      await lockDataDir(db)
    )();
    // A restarted container's server often has the same pid as the one that died.
    await writeFile(`${db}.lock`, `${process.pid}\n`);
    const release = await lockDataDir(db);
    await expect(lockDataDir(db)).rejects.toBeInstanceOf(DataDirBusyError);
    await release();
  });
});
