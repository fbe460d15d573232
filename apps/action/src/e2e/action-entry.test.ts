/**
 * The Action as another repository's workflow gets it with `uses: OWNER/REPO/apps/action@REF`:
 * the runner downloads the repository's tree at REF (no node_modules, no build step), reads
 * `apps/action/action.yml` and runs `runs.main` (then `runs.post`) with its own Node. Here the
 * tree at HEAD (`git archive`, what a tag on this commit would give) is unpacked under the OS's
 * temporary directory, outside the workspace, and the files action.yml names are run with
 * `node` against a real server, INPUT_* over action.yml's defaults as the runner passes them.
 */
import { execFile } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { tempDir, type TempDir } from "@coffer/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leaksIn, runAction, startCoffer, type CofferProcess } from "./test-action.js";

const run = promisify(execFile);
const OPENAI_KEY = "fake-openai-key-entry-0001";
/** The action's folder inside the repository: what `uses: OWNER/REPO/apps/action@REF` names. */
const ACTION_PATH = "apps/action";
const HERE = fileURLToPath(new URL(".", import.meta.url));

/** action.yml's `runs:` keys (a flat reading of our own file's one-level section). */
function runsOf(actionYml: string): Record<string, string> {
  const runs: Record<string, string> = {};
  let inRuns = false;
  for (const line of actionYml.split("\n")) {
    if (/^\S/.test(line)) inRuns = line.startsWith("runs:");
    const key = /^ {2}([\w-]+):\s*(.*)$/.exec(line);
    if (inRuns && key) runs[key[1]!] = key[2]!.replace(/^"(.*)"$/, "$1");
  }
  return runs;
}

describe("the action as `uses: OWNER/REPO/apps/action@REF` resolves", () => {
  let coffer: CofferProcess;
  let checkout: TempDir;
  let workspace: TempDir;
  let actionDir: string;
  let runs: Record<string, string>;

  beforeAll(async () => {
    coffer = await startCoffer();
    await coffer.admin.team.create.mutate({ name: "ml" });
    await coffer.admin.secret.create.mutate({ secret: "ml/openai_key", value: OPENAI_KEY });
    checkout = await tempDir("coffer-action-ref-");
    workspace = await tempDir("coffer-action-workspace-");
    const { stdout: root } = await run("git", ["rev-parse", "--show-toplevel"], { cwd: HERE });
    const archive = path.join(checkout.dir, "ref.tar");
    await run("git", ["archive", "--format=tar", "-o", archive, "HEAD"], { cwd: root.trim() });
    await run("tar", ["-xf", archive, "-C", checkout.dir]);
    actionDir = path.join(checkout.dir, ACTION_PATH);
    runs = runsOf(await readFile(path.join(actionDir, "action.yml"), "utf8"));
  });

  afterAll(async () => {
    await coffer?.stop();
    await checkout?.remove();
    await workspace?.remove();
  });

  it("names a Node entry and a post step that always runs, committed in the tree", async () => {
    expect(runs["using"]).toMatch(/^node\d+$/);
    expect(runs["post-if"]).toBe("always()");
    for (const entry of [runs["main"]!, runs["post"]!]) {
      expect((await stat(path.join(actionDir, entry))).isFile()).toBe(true);
    }
    // Nothing to install: the tree the runner downloads has no node_modules.
    await expect(stat(path.join(checkout.dir, "node_modules"))).rejects.toThrow();
  });

  it("fetches and exports with runs.main, and runs.post removes the file", async () => {
    const keyFile = path.join(workspace.dir, "secrets", "openai.key");
    const main = await runAction({
      inputs: {
        url: coffer.url,
        token: coffer.adminToken,
        secrets: "ml/openai_key > OPENAI_API_KEY",
        files: `ml/openai_key > ${keyFile}`,
      },
      cwd: workspace.dir,
      entry: {
        main: path.join(actionDir, runs["main"]!),
        post: path.join(actionDir, runs["post"]!),
      },
    });
    expect(main.code, main.stdout + main.stderr).toBe(0);
    expect(main.env["OPENAI_API_KEY"]).toBe(OPENAI_KEY);
    expect(await readFile(keyFile, "utf8")).toBe(OPENAI_KEY);
    expect(main.all("add-mask")).toContain(OPENAI_KEY);
    expect(leaksIn(main.stdout + main.stderr, [OPENAI_KEY])).toEqual([]);

    const post = await main.post();
    expect(post.code, post.stdout + post.stderr).toBe(0);
    await expect(stat(keyFile)).rejects.toThrow();
  });
});
