import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { removeMadeDirs, removeSecretFile, writeSecretFile } from "./secret-files.js";

let root: string;
const modeOf = async (file: string): Promise<number> => (await stat(file)).mode & 0o777;
const exists = (file: string): Promise<boolean> =>
  stat(file).then(
    () => true,
    () => false,
  );

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "coffer-action-files-"));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("writeSecretFile", () => {
  it("writes the value exactly, mode 0600, and leaves no temporary file", async () => {
    const file = path.join(root, "sa.json");
    const written = await writeSecretFile(file, '{"k":"fake-v"}');
    expect(written).toEqual({ path: file });
    expect(await readFile(file, "utf8")).toBe('{"k":"fake-v"}');
    expect(await modeOf(file)).toBe(0o600);
    expect(await readdir(root)).toEqual(["sa.json"]);
  });

  it("refuses an existing file and leaves it as it was", async () => {
    const file = path.join(root, "old.txt");
    await writeFile(file, "old", { mode: 0o644 });
    await expect(writeSecretFile(file, "fake-new")).rejects.toThrow(
      `${file} exists; the action does not overwrite files (choose a new path, e.g. under \${{ runner.temp }})`,
    );
    expect(await readFile(file, "utf8")).toBe("old");
    expect(await modeOf(file)).toBe(0o644);
  });

  it("refuses a symbolic link at the target, even a dangling one, and writes nothing", async () => {
    const elsewhere = path.join(root, "elsewhere.txt");
    await symlink(elsewhere, path.join(root, "dangling.txt"));
    await expect(writeSecretFile(path.join(root, "dangling.txt"), "fake-value")).rejects.toThrow(
      "exists; the action does not overwrite files",
    );
    expect(await exists(elsewhere)).toBe(false);
  });

  it("removes the directories it made when the file cannot be created", async () => {
    const file = path.join(root, "made", "deeper", "x".repeat(300));
    await expect(writeSecretFile(file, "fake-value")).rejects.toThrow(/ENAMETOOLONG/);
    expect(await readdir(root)).toEqual([]);
  });

  it("makes missing directories 0700 and records the outermost", async () => {
    const file = path.join(root, "a", "b", "key.pem");
    const written = await writeSecretFile(file, "fake-pem");
    expect(written).toEqual({ path: file, madeDir: path.join(root, "a") });
    expect(await modeOf(path.join(root, "a"))).toBe(0o700);
    expect(await modeOf(path.join(root, "a", "b"))).toBe(0o700);
  });
});

describe("removeSecretFile and removeMadeDirs", () => {
  it("remove the files, then the directories made for them, deepest first", async () => {
    const outer = await writeSecretFile(path.join(root, "x", "a.txt"), "fake-a");
    const inner = await writeSecretFile(path.join(root, "x", "y", "z", "b.txt"), "fake-b");
    const beside = await writeSecretFile(path.join(root, "x", "c.txt"), "fake-c");
    expect([outer.madeDir, inner.madeDir, beside.madeDir]).toEqual([
      path.join(root, "x"),
      path.join(root, "x", "y"),
      undefined,
    ]);
    for (const file of [outer, inner, beside]) expect(await removeSecretFile(file)).toBe("removed");
    await removeMadeDirs([outer, inner, beside]);
    expect(await readdir(root)).toEqual([]);
  });

  it("keep directories that hold something else, and those the action did not make", async () => {
    await mkdir(path.join(root, "kept"));
    const written = await writeSecretFile(path.join(root, "kept", "made", "x.txt"), "fake-x");
    await writeFile(path.join(root, "kept", "made", "theirs.txt"), "not ours");
    expect(await removeSecretFile(written)).toBe("removed");
    await removeMadeDirs([written]);
    expect(await readdir(path.join(root, "kept", "made"))).toEqual(["theirs.txt"]);
    await rm(path.join(root, "kept", "made", "theirs.txt"));
    await removeMadeDirs([written]);
    expect(await readdir(path.join(root, "kept"))).toEqual([]);
  });

  it("say when the file was already gone", async () => {
    const written = await writeSecretFile(path.join(root, "d", "gone.txt"), "fake-gone");
    await rm(written.path);
    expect(await removeSecretFile(written)).toBe("gone");
    await removeMadeDirs([written]);
    expect(await exists(path.join(root, "d"))).toBe(false);
  });
});
