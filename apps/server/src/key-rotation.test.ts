/**
 * Root-key rotation online and across restarts, and protection-key changes: values stay
 * readable throughout, and after rotation the old root key is no longer needed.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Keyring, rootKeyId } from "@coffer/core";
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
  });
});

describe.each(ENGINES)("root key files on %s", (engine) => {
  let database: TestDatabase;
  let dataDir: string;
  let token: string;

  beforeAll(async () => {
    database = await testDatabase(engine);
    dataDir = await mkdtemp(path.join(os.tmpdir(), "coffer-keys-"));
  });

  afterAll(async () => {
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const start = (env: Record<string, string> = {}) =>
    startServer(readConfig({ COFFER_PORT: "0", COFFER_DATA_DIR: dataDir, ...env }, dataDir), {
      db: database.db,
      jobs: false,
      log: createLogger({ logLevel: "silent" }),
    });
  const rootFiles = async () => (await readdir(dataDir)).filter((f) => f.startsWith("root.key"));

  it("a start removes a leftover next file that wraps nothing (old name too) and reads a several-line previous file", async () => {
    const first = await start();
    token = first.adminToken!;
    const admin = await actorFor(first, token);
    await first.services.secretWriter.create(admin, META, { secret: "kept", value: "fake-kept" });
    const active = (await readFile(path.join(dataDir, "root.key"), "utf8")).trim();
    await first.close();

    const spare = () => `${randomBytes(32).toString("base64")}\n`;
    await writeFile(path.join(dataDir, "root.key.next"), spare(), { mode: 0o600 });
    await writeFile(path.join(dataDir, "root.key.next.0123456789abcdef"), spare(), { mode: 0o600 });
    await writeFile(path.join(dataDir, "root.key.previous.tmp.0123456789abcdef"), spare());
    await writeFile(path.join(dataDir, "root.key.previous"), spare() + spare(), { mode: 0o600 });
    const second = await start();
    expect((await rootFiles()).sort()).toEqual(["root.key", "root.key.previous"]);
    expect((await readFile(path.join(dataDir, "root.key"), "utf8")).trim()).toBe(active);
    expect(second.deps.keyring.activeRootKeyId).toBe(rootKeyId(Buffer.from(active, "base64")));
    const again = await actorFor(second, token);
    expect((await second.services.secretReader.reveal(again, META, { secret: "kept" })).value).toBe(
      "fake-kept",
    );

    // A protection key wrapped by a root key no file holds: the rotation refuses, touching
    // no file, and says which key it lacks; the refusal is audited.
    const foreign = randomBytes(32);
    const stray = new Keyring(second.deps.org, [foreign]).createProtectionKey();
    await second.deps.db.query(
      "INSERT INTO protection_keys (id, root_key_id, wrapped, is_default) VALUES ($1, $2, $3, false)",
      [stray.id, stray.rootKeyId, stray.wrapped],
    );
    const before = await rootFiles();
    const previous = await readFile(path.join(dataDir, "root.key.previous"), "utf8");
    await expect(second.services.keys.rotateRoot(again, META)).rejects.toMatchObject({
      errorCode: "INVALID_STATUS",
      details: { reason: "unknown-root-key", rootKeyIds: [rootKeyId(foreign)] },
    });
    expect(await rootFiles()).toEqual(before);
    expect((await readFile(path.join(dataDir, "root.key"), "utf8")).trim()).toBe(active);
    expect(await readFile(path.join(dataDir, "root.key.previous"), "utf8")).toBe(previous);
    const [audit] = await second.deps.db.query<{ result: string }>(
      "SELECT result FROM audit_events WHERE action = 'key.rotate-root' ORDER BY id DESC LIMIT 1",
    );
    expect(audit?.result).toBe("failed");
    await second.deps.db.query("DELETE FROM protection_keys WHERE id = $1", [stray.id]);
    await second.close();
  });

  it("with COFFER_ROOT_KEY, concurrent rotations re-wrap under it, and a start with it alone reads everything", async () => {
    const oldKey = (await readFile(path.join(dataDir, "root.key"), "utf8")).trim();
    const newKey = randomBytes(32).toString("base64");
    const first = await start({ COFFER_ROOT_KEY: newKey, COFFER_PREVIOUS_ROOT_KEYS: oldKey });
    const files = await rootFiles();
    const admin = await actorFor(first, token);
    const rotated = await Promise.all(
      [1, 2, 3].map(() => first.services.keys.rotateRoot(admin, META)),
    );
    const id = rootKeyId(Buffer.from(newKey, "base64"));
    expect(rotated.map((r) => r.rootKeyId)).toEqual([id, id, id]);
    expect(await rootFiles()).toEqual(files);
    await first.close();
    const second = await start({ COFFER_ROOT_KEY: newKey });
    const again = await actorFor(second, token);
    expect((await second.services.secretReader.reveal(again, META, { secret: "kept" })).value).toBe(
      "fake-kept",
    );
    expect(
      (await second.services.keys.list(again)).protectionKeys.every((k) => k.rootKeyId === id),
    ).toBe(true);
    await second.close();
  });
});
