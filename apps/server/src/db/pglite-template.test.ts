/**
 * A fresh embedded database starts from the template the build made (a copy of the directory
 * initdb produced), not from initdb: it must come up usable, private to its owner, with its
 * settings, and leave nothing half-copied beside it.
 */
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openPglite } from "./database.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "coffer-template-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("a fresh PGlite data directory", () => {
  it("starts usable and private, with its settings, and reopens with what was written", async () => {
    const dataDir = path.join(dir, "db");
    const db = await openPglite(dataDir);
    await db.exec("CREATE TABLE t (x int); INSERT INTO t VALUES (7)");
    const [sb] = await db.query<{ shared_buffers: string }>("SHOW shared_buffers");
    expect(sb?.shared_buffers).toBe("16MB");
    await db.close();
    expect((await stat(dataDir)).mode & 0o077).toBe(0);
    expect((await readdir(dir)).filter((f) => f.includes("partial"))).toEqual([]);
    const again = await openPglite(dataDir);
    expect(await again.query("SELECT x FROM t")).toEqual([{ x: 7 }]);
    await again.close();
  });
});
