/**
 * Root-key rotation online and across restarts, and protection-key changes: values stay
 * readable throughout, and after rotation the old root key is no longer needed.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { rootKeyId } from "@coffer/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readConfig } from "./env.js";
import { createLogger } from "./logger.js";
import { startServer } from "./server.js";
import { actorFor, ENGINES, META, testDatabase, type TestDatabase } from "./test-support.js";

describe.each(ENGINES)("keys on %s", (engine) => {
  let database: TestDatabase;
  let dataDir: string;

  beforeAll(async () => {
    database = await testDatabase(engine);
    dataDir = await mkdtemp(path.join(os.tmpdir(), "coffer-keys-"));
  });

  afterAll(async () => {
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const start = () =>
    startServer(readConfig({ COFFER_PORT: "0", COFFER_DATA_DIR: dataDir }, dataDir), {
      db: database.db,
      jobs: false,
      log: createLogger({ logLevel: "silent" }),
    });

  it("rotates the root key online, and a restart with only the new key reads everything", async () => {
    const first = await start();
    const admin = await actorFor(first, first.adminToken!);
    await first.services.secretWriter.create(admin, META, {
      secret: "before_rotation",
      value: "fake-before",
    });
    const keyFile = path.join(dataDir, "root.key");
    const oldKey = (await readFile(keyFile, "utf8")).trim();

    const rotated = await first.services.keys.rotateRoot(admin, META);
    expect(rotated.rewrapped).toBe(1);
    const newKey = (await readFile(keyFile, "utf8")).trim();
    expect(newKey).not.toBe(oldKey);
    expect(rotated.rootKeyId).toBe(rootKeyId(Buffer.from(newKey, "base64")));
    expect((await readFile(`${keyFile}.previous`, "utf8")).trim()).toBe(oldKey);
    // Online: reads and writes go on.
    expect(
      (await first.services.secretReader.reveal(admin, META, { secret: "before_rotation" })).value,
    ).toBe("fake-before");
    await first.services.secretWriter.create(admin, META, {
      secret: "after_rotation",
      value: "fake-after",
    });
    const listed = await first.services.keys.list(admin);
    expect(listed.activeRootKeyId).toBe(rotated.rootKeyId);
    expect(listed.protectionKeys.every((k) => k.rootKeyId === rotated.rootKeyId)).toBe(true);
    await first.close();

    // Restart with the new key only (the previous one removed): everything opens.
    await rm(`${keyFile}.previous`);
    const second = await start();
    const again = await actorFor(second, first.adminToken!);
    expect(
      (await second.services.secretReader.reveal(again, META, { secret: "before_rotation" })).value,
    ).toBe("fake-before");
    expect(
      (await second.services.secretReader.reveal(again, META, { secret: "after_rotation" })).value,
    ).toBe("fake-after");

    // A new protection key, and a secret moved onto it: data keys re-wrapped, value the same.
    const created = await second.services.keys.create(again, META, { makeDefault: false });
    const moved = await second.services.secretWriter.changeProtectionKey(again, META, {
      secret: "before_rotation",
      protectionKeyId: created.id,
    });
    expect(moved.protectionKeyId).toBe(created.id);
    expect(
      (await second.services.secretReader.reveal(again, META, { secret: "before_rotation" })).value,
    ).toBe("fake-before");
    const rows = await second.deps.db.query<{ protection_key_id: string }>(
      "SELECT v.protection_key_id FROM secret_versions v JOIN secrets s ON s.id = v.secret_id WHERE s.name = 'before_rotation'",
    );
    expect(rows.map((r) => r.protection_key_id)).toEqual([created.id]);
    await second.close();
  }, 60_000);
});
