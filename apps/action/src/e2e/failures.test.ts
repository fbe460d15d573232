/**
 * The committed bundle failing as it should: unresolved references (and ignore-missing), bad
 * inputs, a refused token, an unreachable server, a runner without environment files. Every
 * failure names what failed and shows no value.
 */
import { readdir } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { failureOf, leaksIn, runAction } from "./test-action.js";
import { FIXTURES, piecesOf, seededSuite } from "./test-fixtures.js";

const suite = seededSuite();

const ALL_VALUES = piecesOf(...(Object.keys(FIXTURES) as (keyof typeof FIXTURES)[]));

const MISSING = `ml/openai_key > OPENAI_API_KEY
ml/nope
ml/db_creds/nokey > NOKEY
ml/old_key
admin/list_only > LISTED
nobody/*`;

const UNRESOLVED = [
  'secrets line 2: "ml/nope": secret://default/ml/nope not found (NOT_FOUND)',
  'secrets line 3: "ml/db_creds/nokey": secret://default/ml/db_creds#1 has no key "nokey" (UNPROCESSABLE_ENTITY)',
  'secrets line 4: "ml/old_key": secret://default/ml/old_key is disabled (INVALID_STATUS)',
  'secrets line 5: "admin/list_only": read on secret://default/admin/list_only is needed; you have list (FORBIDDEN)',
  'secrets line 6: "nobody/*": nobody has no enabled secret you can list',
  'files line 1: "ml/nope": secret://default/ml/nope not found (NOT_FOUND)',
];

describe("unresolved references", () => {
  it("fail the step, each named by its line and its text, with nothing exported", async () => {
    const dir = path.join(suite.dir, "missing");
    const run = await runAction({
      inputs: {
        url: suite.coffer.url,
        token: suite.ciToken,
        secrets: MISSING,
        files: `ml/nope > ${dir}/x`,
      },
    });
    expect(failureOf(run)).toBe(
      ["6 references could not be read (ignore-missing: true skips them):", ...UNRESOLVED].join(
        "\n",
      ),
    );
    expect(run.env).toEqual({});
    expect(run.outputs).toEqual({});
    expect(await readdir(suite.dir)).not.toContain("missing");
    // What was read is masked all the same.
    expect(run.all("add-mask")).toEqual(expect.arrayContaining(piecesOf("openai")));
    expect(leaksIn(run.stdout + run.stderr, [suite.ciToken, ...ALL_VALUES])).toEqual([]);
    const post = await run.post();
    expect(post.code, post.stdout).toBe(0);
  });

  it("are warnings with ignore-missing, and the rest is exported", async () => {
    const run = await runAction({
      inputs: {
        url: suite.coffer.url,
        token: suite.ciToken,
        secrets: MISSING,
        "ignore-missing": "true",
      },
    });
    expect(run.code, run.stdout).toBe(0);
    expect(run.all("warning")).toEqual(
      UNRESOLVED.slice(0, 5).map((line) => `${line}; skipped (ignore-missing)`),
    );
    expect(run.env).toEqual({ OPENAI_API_KEY: FIXTURES.openai.value });
    expect(leaksIn(run.stdout + run.stderr, [suite.ciToken, ...ALL_VALUES])).toEqual([]);
  });
});

describe("wildcard conflicts", () => {
  it("fail the step, even with ignore-missing, after the masks", async () => {
    const dash = { secret: "ml/openai-key", value: "fake-openai-dash-0009" };
    await suite.coffer.admin.secret.create.mutate(dash);
    const run = await runAction({
      inputs: {
        url: suite.coffer.url,
        token: suite.ciToken,
        secrets: "ml/* > X_",
        "ignore-missing": "true",
      },
    });
    await suite.coffer.admin.secret.delete.mutate({ secret: dash.secret, force: true });
    expect(failureOf(run)).toBe(
      'secrets line 1: "ml/*": ml/openai_key and ml/openai-key (line 1) would both set X_OPENAI_KEY; set X_OPENAI_KEY with a line of its own',
    );
    expect(run.all("add-mask")).toEqual(expect.arrayContaining([dash.value, ...piecesOf("cert")]));
    expect(run.env).toEqual({});
  });
});

describe("bad inputs", () => {
  const run = (inputs: Record<string, string>) =>
    runAction({ inputs: { url: suite.coffer.url, token: suite.ciToken, ...inputs } });

  it("a bad secrets line fails with the line's exact error", async () => {
    expect(failureOf(await run({ secrets: "ml/openai_key\n\nml/9bad > X" }))).toBe(
      'secrets line 3: "ml/9bad" is not a reference: "9bad" is not a secret name',
    );
  });

  it("a value that is not a YAML boolean fails clearly", async () => {
    expect(failureOf(await run({ secrets: "ml/openai_key", "export-env": "yes" }))).toBe(
      'export-env must be true or false (YAML: true | True | TRUE | false | False | FALSE), not "yes"',
    );
  });

  it("a url in clear to another host is refused", async () => {
    expect(failureOf(await run({ secrets: "ml/openai_key", url: "http://coffer.invalid" }))).toBe(
      "url: http://coffer.invalid must be https (http only on 127.0.0.1, localhost or [::1]): the token would travel in clear",
    );
  });

  it("a token with method oidc is refused", async () => {
    expect(failureOf(await run({ secrets: "ml/openai_key", method: "oidc" }))).toBe(
      "method oidc exchanges GitHub's ID token for a Coffer token: remove the token input, or set method: token",
    );
  });

  it("method oidc without an ID token says which permission is missing", async () => {
    const failed = await runAction({
      inputs: { url: suite.coffer.url, method: "oidc", secrets: "ml/openai_key" },
    });
    expect(failureOf(failed)).toBe(
      'method oidc: GitHub gave no ID token (does the job have "permissions: id-token: write"?): Error message: Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable',
    );
  });
});

describe("whole-call failures", () => {
  it("a token the server refuses fails with the server's message", async () => {
    const bogus = `cft_${"A".repeat(52)}`;
    const failed = await runAction({
      inputs: { url: suite.coffer.url, token: bogus, secrets: "ml/openai_key" },
    });
    expect(failureOf(failed)).toMatch(/^reading the secrets failed: .+ \(UNAUTHORIZED\)$/);
    expect(failed.all("add-mask")).toContain(bogus);
    expect(leaksIn(failed.stdout + failed.stderr, [bogus])).toEqual([]);
  });

  it("an unreachable server fails, even with ignore-missing", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));
    const failed = await runAction({
      inputs: {
        url: `http://127.0.0.1:${port}`,
        token: suite.ciToken,
        secrets: "ml/openai_key\nml/*",
        "ignore-missing": "true",
      },
    });
    expect(failureOf(failed)).toMatch(
      /^(reading the secrets|listing the secrets of OWNER\/\*) failed: cannot reach the Coffer server: .+ \(INTERNAL_SERVER_ERROR\)$/,
    );
  });
});

describe("the runner", () => {
  it("without GITHUB_ENV, the action refuses rather than print values as commands", async () => {
    const failed = await runAction({
      inputs: { url: suite.coffer.url, token: suite.ciToken, secrets: "ml/openai_key" },
      unset: ["GITHUB_ENV"],
    });
    expect(failureOf(failed)).toBe(
      "GITHUB_ENV not set: this runner is too old for environment files (runner 2.297.0 or later)",
    );
    expect(leaksIn(failed.stdout, ALL_VALUES)).toEqual([]);
  });
});
