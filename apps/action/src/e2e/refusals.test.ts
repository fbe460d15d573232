/**
 * The committed bundle refusing what the security review found: a wildcard setting a
 * reserved variable, a file line over an existing file, and a post step that would fetch
 * again. Requests are counted by a proxy between the bundle and the server.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countingProxy, type CountingProxy } from "@coffer/test-kit";
import { failureOf, runAction } from "./test-action.js";
import { piecesOf, seededSuite } from "./test-fixtures.js";

const suite = seededSuite();
let proxy: CountingProxy;

beforeAll(async () => {
  proxy = await countingProxy(suite.coffer.url);
});

afterAll(async () => {
  await proxy?.close();
});

/** A run through the proxy, its requests counted from zero. */
const run = (inputs: Record<string, string>, more: { env?: Record<string, string> } = {}) => {
  proxy.requests.length = 0;
  return runAction({ inputs: { url: proxy.url, token: suite.ciToken, ...inputs }, ...more });
};

describe("a wildcard", () => {
  it("may not set a reserved variable: the step fails, ignore-missing or not, unrevealed", async () => {
    const evil = { secret: "ml/ld_preload", value: "fake-evil-preload-0010" };
    await suite.coffer.admin.secret.create.mutate(evil);
    const failed = await run({ secrets: "ml/openai_key > KEY\nml/*", "ignore-missing": "true" });
    await suite.coffer.admin.secret.delete.mutate({ secret: evil.secret, force: true });
    expect(failureOf(failed)).toBe(
      'secrets line 2: "ml/*": ml/ld_preload would set LD_PRELOAD, which a wildcard may not set (it can change what later steps run); give the line a prefix (ml/* > ML_) or set LD_PRELOAD with a line of its own (ml/ld_preload > LD_PRELOAD)',
    );
    expect(failed.all("add-mask")).toEqual(expect.arrayContaining(piecesOf("openai", "cert")));
    expect(failed.all("add-mask")).not.toContain(evil.value);
    expect(failed.env).toEqual({});
  });
});

describe("a files line", () => {
  it("over an existing file fails before any request, and the file stays", async () => {
    const kept = path.join(suite.dir, ".npmrc");
    await writeFile(kept, "theirs");
    const fresh = path.join(suite.dir, "fresh", "a.json");
    const failed = await run({
      secrets: "ml/openai_key",
      files: `ml/db_creds > ${fresh}\nml/tls_cert > ${kept}`,
    });
    expect(failureOf(failed)).toBe(
      `files line 2: ${kept} exists; the action does not overwrite files (choose a new path, e.g. under \${{ runner.temp }})`,
    );
    expect(proxy.requests).toEqual([]);
    expect(failed.env).toEqual({});
    const post = await failed.post();
    expect(post.code, post.stdout).toBe(0);
    expect(await readFile(kept, "utf8")).toBe("theirs");
    await expect(readFile(fresh)).rejects.toThrow(/ENOENT/);
  });
});

describe("the post step", () => {
  it("never fetches: after a run, and with STATE_isPost alone", async () => {
    const main = await run({ secrets: "ml/openai_key" });
    expect(main.code, main.stdout).toBe(0);
    expect(main.state).toMatchObject({ isPost: "true" });
    proxy.requests.length = 0;
    const post = await main.post();
    expect(post.code, post.stdout).toBe(0);
    expect(proxy.requests).toEqual([]);
    const again = await run({ secrets: "ml/openai_key" }, { env: { STATE_isPost: "true" } });
    expect(again.code, again.stdout).toBe(0);
    expect(proxy.requests).toEqual([]);
    expect(again.env).toEqual({});
  });

  it("without GITHUB_STATE, neither main nor the post step it leaves makes a request", async () => {
    proxy.requests.length = 0;
    const main = await runAction({
      inputs: { url: proxy.url, token: suite.ciToken, secrets: "ml/openai_key" },
      unset: ["GITHUB_STATE"],
    });
    const message =
      "GITHUB_STATE not set: this runner is too old for environment files (runner 2.297.0 or later)";
    expect(failureOf(main)).toBe(message);
    expect(main.all("save-state")).toEqual([]);
    const post = await main.post();
    expect(failureOf(post)).toBe(message);
    expect(proxy.requests).toEqual([]);
  });
});
