import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { describeSummary, exportSecrets, registerMasks } from "./export.js";
import type { Resolved } from "./fetch-plan.js";
import { captureStdout } from "./test-stdout.js";

const stdout = captureStdout();

describe("registerMasks", () => {
  it("registers the masks of every value once each, longest first", () => {
    registerMasks(["fake-one-0001", "fake-one-0001\nfake-two-0002", "abc"]);
    const masks = stdout.map((line) => line.replace(/^::add-mask::/, "").trimEnd());
    expect(masks).toContain("fake-one-0001%0Afake-two-0002");
    expect(masks.filter((m) => m === "fake-one-0001")).toHaveLength(1);
    expect(masks).not.toContain("abc");
    expect(masks.map((m) => m.length)).toEqual(masks.map((m) => m.length).sort((a, b) => b - a));
  });
});

describe("describeSummary", () => {
  it("counts and names targets, never values", () => {
    expect(describeSummary({ variables: ["A", "B"], outputs: [], files: ["/tmp/x"] })).toBe(
      "2 environment variables (A, B), 0 outputs, 1 file (/tmp/x)",
    );
  });
});

describe("exportSecrets", () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "coffer-action-export-"));
    for (const name of ["GITHUB_ENV", "GITHUB_STATE"]) {
      await writeFile(path.join(root, name), "");
      vi.stubEnv(name, path.join(root, name));
    }
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await rm(root, { recursive: true, force: true });
  });

  const fileAt = (line: number, file: string): Resolved => ({
    origin: { input: "files", line, text: `ml/f${line}` },
    dest: { kind: "file", path: file },
    value: `fake-file-${line}`,
  });

  it("writes all files or none, and exports nothing when one fails", async () => {
    const made = path.join(root, "out", "a.txt");
    const taken = path.join(root, "taken.txt");
    // Appeared after the targets were settled (file-targets.ts): still not overwritten.
    await writeFile(taken, "theirs");
    const resolved: Resolved[] = [
      {
        origin: { input: "secrets", line: 1, text: "ml/x" },
        dest: { kind: "env", name: "X" },
        value: "fake-x",
      },
      fileAt(1, made),
      fileAt(2, taken),
    ];
    await expect(exportSecrets(resolved, { exportEnv: true, outputs: false })).rejects.toThrow(
      `files line 2: "ml/f2": cannot write ${taken}: ${taken} exists; the action does not overwrite files (choose a new path, e.g. under \${{ runner.temp }}) (the file written before it was removed)`,
    );
    expect((await readdir(root)).sort()).toEqual(["GITHUB_ENV", "GITHUB_STATE", "taken.txt"]);
    expect(await readFile(taken, "utf8")).toBe("theirs");
    expect(await readFile(path.join(root, "GITHUB_ENV"), "utf8")).toBe("");
    // The last list saved for the post step is empty: nothing of this run is left to remove.
    const state = await readFile(path.join(root, "GITHUB_STATE"), "utf8");
    expect(state).toMatch(/files<<(\S+)\n\[\]\n\1\n$/);
  });
});
