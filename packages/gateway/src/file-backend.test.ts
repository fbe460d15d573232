import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseVaultReference, type ResolveOutcome } from "@coffer/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileBackend, fileSyntax } from "./file-backend.js";

let base: string;
let root: string;

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), "coffer-gateway-file-"));
  root = path.join(base, "root");
  await mkdir(path.join(root, "ml"), { recursive: true });
  await mkdir(path.join(root, "team"), { recursive: true });
  await writeFile(path.join(root, "openai_key"), "fake-openai-key-0001\n");
  await writeFile(path.join(root, "crlf"), "fake-crlf-0001\r\n");
  await writeFile(path.join(root, "two-newlines"), "fake-two-0001\n\n");
  await writeFile(path.join(root, "none"), "fake-none-0001");
  await writeFile(path.join(root, "ml", "db.json"), '{"user":"fake-user","port":5432}\n');
  await writeFile(path.join(root, "team", "token"), "fake-team-token-0001\n");
  await writeFile(path.join(base, "outside"), "fake-outside-0001\n");
  await symlink(path.join(base, "outside"), path.join(root, "link-out"));
  await symlink(path.join(root, "none"), path.join(root, "link-in"));
  await symlink(base, path.join(root, "dir-out"));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

const parse = (text: string) => parseVaultReference(text, { backends: { file: fileSyntax } });

async function fetchOne(text: string, at = root): Promise<ResolveOutcome> {
  const [outcome] = await fileBackend({ root: at }).fetch([parse(text)]);
  return outcome!;
}

const codeOf = (outcome: ResolveOutcome): string | undefined =>
  outcome.ok ? undefined : outcome.error.errorCode;

describe("file backend", () => {
  it("refuses the file system's root, a system folder, or a link to one, when it is made", async () => {
    const advice =
      "every file under the root can be referenced; use a folder that holds only the gateway's secrets";
    expect(() => fileBackend({ root: "/" })).toThrow(
      `file.root: / is the file system's root: ${advice}`,
    );
    expect(() => fileBackend({ root: "/etc/.." })).toThrow(
      `file.root: / is the file system's root: ${advice}`,
    );
    expect(() => fileBackend({ root: "/etc/" })).toThrow(
      `file.root: /etc is a system folder: ${advice}`,
    );
    await symlink("/", path.join(base, "to-slash"));
    expect(() => fileBackend({ root: path.join(base, "to-slash") })).toThrow(
      `file.root: / is the file system's root: ${advice}`,
    );
    for (const fine of [root, "/etc/gateway/secrets", "/run/secrets", path.join(base, "later")]) {
      expect(() => fileBackend({ root: fine }), fine).not.toThrow();
    }
  });

  it("reads a file, stripping one trailing newline", async () => {
    expect(await fetchOne("{vault://file/openai_key}")).toEqual({
      ok: true,
      value: "fake-openai-key-0001",
    });
    expect(await fetchOne("{vault://file/crlf}")).toEqual({ ok: true, value: "fake-crlf-0001" });
    expect(await fetchOne("{vault://file/two-newlines}")).toEqual({
      ok: true,
      value: "fake-two-0001\n",
    });
    expect(await fetchOne("{vault://file/none}")).toEqual({ ok: true, value: "fake-none-0001" });
  });

  it("reads under a prefix directory, and plain files in subdirectories", async () => {
    expect(await fetchOne("{vault://file/token?prefix=team}")).toEqual({
      ok: true,
      value: "fake-team-token-0001",
    });
    expect(await fetchOne("{vault://file/team/token/}")).toEqual({
      ok: true,
      value: "fake-team-token-0001",
    });
  });

  it("picks a key out of a JSON file", async () => {
    expect(await fetchOne("{vault://file/ml/db.json/user}")).toEqual({
      ok: true,
      value: "fake-user",
    });
    const wrong = await fetchOne("{vault://file/openai_key/user}");
    expect(codeOf(wrong)).toBe("UNPROCESSABLE_ENTITY");
    expect(JSON.stringify(wrong)).not.toContain("fake-openai-key");
  });

  it("refuses to leave the root", async () => {
    for (const text of [
      "{vault://file/../outside}",
      "{vault://file/%2E%2E/outside}",
      "{vault://file/ml/../../outside/}",
      "{vault://file/..%2Foutside}",
      "{vault://file/%2Fetc%2Fpasswd}",
      "{vault://file/outside?prefix=..}",
      "{vault://file/passwd?prefix=%2Fetc}",
      "{vault://file/link-out}",
      "{vault://file/dir-out/outside/}",
      // Inside the root, but walking: a pattern `{vault://file/team/*}` must not reach ml/.
      "{vault://file/team/..%2Fml%2Fdb.json/user}",
      "{vault://file/ml%2Fdb.json/user}",
      "{vault://file/db.json/user?prefix=team/../ml}",
    ]) {
      const outcome = await fetchOne(text);
      expect(codeOf(outcome), text).toBe("FORBIDDEN");
      expect(JSON.stringify(outcome)).not.toContain("fake-outside");
    }
  });

  it("follows symlinks that stay inside", async () => {
    expect(await fetchOne("{vault://file/link-in}")).toEqual({
      ok: true,
      value: "fake-none-0001",
    });
  });

  it("answers NOT_FOUND for missing files and directories", async () => {
    expect(codeOf(await fetchOne("{vault://file/nope}"))).toBe("NOT_FOUND");
    expect(codeOf(await fetchOne("{vault://file/ml}"))).toBe("NOT_FOUND");
    const outcome = await fetchOne("{vault://file/nope}");
    if (!outcome.ok) expect(outcome.error.message).toBe("{vault://file/nope}: no such file");
  });

  it("fails every reference when the root is missing", async () => {
    const outcome = await fetchOne("{vault://file/a}", path.join(base, "missing"));
    expect(outcome).toMatchObject({
      ok: false,
      error: {
        errorCode: "INTERNAL_SERVER_ERROR",
        message: "the file backend's root is not readable",
      },
    });
  });

  it("has no versions", () => {
    expect(() => parse("{vault://file/a#2}")).toThrow("the file backend has no versions");
  });
});
