import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { expandTarget, settleFileTargets } from "./file-targets.js";
import { InputLineError, parseFilesInput } from "./input-lines.js";

let root: string;

beforeEach(async () => {
  root = await realpath(await mkdtemp(path.join(os.tmpdir(), "coffer-action-targets-")));
});

afterEach(async () => {
  vi.restoreAllMocks();
  await rm(root, { recursive: true, force: true });
});

const targetsOf = async (lines: string): Promise<string[]> =>
  (await settleFileTargets(parseFilesInput(lines))).map((request) => request.target);

const refusal = async (lines: string): Promise<string> => {
  const error: unknown = await settleFileTargets(parseFilesInput(lines)).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (error instanceof InputLineError) return error.message;
  throw new Error(`expected an InputLineError, got ${String(error)}`);
};

const EXISTS =
  "exists; the action does not overwrite files (choose a new path, e.g. under ${{ runner.temp }})";

describe("settleFileTargets", () => {
  it("makes targets absolute: from the home directory for ~/, else from the cwd", async () => {
    vi.spyOn(os, "homedir").mockReturnValue(root);
    expect(expandTarget("~/a/.npmrc-copy")).toBe(path.join(root, "a", ".npmrc-copy"));
    expect(expandTarget("rel/x.json")).toBe(path.resolve("rel/x.json"));
    expect(expandTarget("~user/x")).toBe(path.resolve("~user/x"));
    expect(await targetsOf(`ml/a > ~/new/a.json\nml/b > ${root}/b.json`)).toEqual([
      path.join(root, "new", "a.json"),
      path.join(root, "b.json"),
    ]);
  });

  it("refuses a target that exists, naming the line and the path", async () => {
    await writeFile(path.join(root, ".npmrc"), "//registry/:_authToken=theirs");
    vi.spyOn(os, "homedir").mockReturnValue(root);
    expect(await refusal(`ml/a > ${root}/new.json\n\nml/b > ~/.npmrc`)).toBe(
      `files line 3: ${root}/.npmrc ${EXISTS}`,
    );
    await mkdir(path.join(root, "dir"));
    expect(await refusal(`ml/a > ${root}/dir`)).toBe(`files line 1: ${root}/dir ${EXISTS}`);
  });

  it("refuses a symbolic link at the target, even a dangling one", async () => {
    await symlink(path.join(root, "nowhere"), path.join(root, "link.json"));
    expect(await refusal(`ml/a > ${root}/link.json`)).toBe(
      `files line 1: ${root}/link.json ${EXISTS}`,
    );
  });

  it("writes under the real path of a symbolically linked parent", async () => {
    await mkdir(path.join(root, "real"));
    await symlink(path.join(root, "real"), path.join(root, "linked"));
    expect(await targetsOf(`ml/a > ${root}/linked/new/a.json`)).toEqual([
      path.join(root, "real", "new", "a.json"),
    ]);
    await writeFile(path.join(root, "real", "taken.json"), "");
    expect(await refusal(`ml/a > ${root}/linked/taken.json`)).toBe(
      `files line 1: ${root}/real/taken.json ${EXISTS}`,
    );
  });

  it("refuses two lines that come to one file", async () => {
    await mkdir(path.join(root, "real"));
    await symlink(path.join(root, "real"), path.join(root, "linked"));
    expect(await refusal(`ml/a > ${root}/real/a.json\nml/b > ${root}/linked/a.json`)).toBe(
      `files line 2: ${root}/real/a.json is already written by line 1`,
    );
  });

  it("refuses a path through a file", async () => {
    await writeFile(path.join(root, "file"), "");
    expect(await refusal(`ml/a > ${root}/file/a.json`)).toMatch(
      new RegExp(`^files line 1: cannot use ${root}/file/a.json: ENOTDIR`),
    );
  });
});
