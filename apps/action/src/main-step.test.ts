import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runMain } from "./main-step.js";
import { inputEnv } from "./test-inputs.js";
import { captureStdout } from "./test-stdout.js";

const stdout = captureStdout();
let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "coffer-action-main-"));
  vi.unstubAllEnvs();
  for (const name of ["GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_STATE"]) vi.stubEnv(name, "");
  for (const [name, value] of Object.entries(inputEnv({ url: "http://coffer.example.com" }))) {
    vi.stubEnv(name, value);
  }
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(root, { recursive: true, force: true });
});

describe("runMain", () => {
  it("without GITHUB_STATE, refuses before saving isPost anywhere (or reading an input)", async () => {
    await expect(runMain()).rejects.toThrow(
      "GITHUB_STATE not set: this runner is too old for environment files (runner 2.297.0 or later)",
    );
    expect(stdout).toEqual([]);
  });

  it("saves isPost before anything else can fail, so that the post step knows it", async () => {
    const state = path.join(root, "state");
    await writeFile(state, "");
    vi.stubEnv("GITHUB_STATE", state);
    // The url is refused next (it is http to another host), after isPost is saved.
    await expect(runMain()).rejects.toThrow(/^url: http:\/\/coffer.example.com must be https/);
    expect(await readFile(state, "utf8")).toMatch(/^isPost<<(\S+)\ntrue\n\1\n$/);
    expect(stdout).toEqual([]);
  });
});
