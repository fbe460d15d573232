/**
 * The committed bundle fetching from a real server, as a runner runs it: variables, outputs,
 * files, masks first, nothing shown, and the post step cleaning up.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { commandsIn, leaksIn, runAction } from "./test-action.js";
import { FIXTURES, piecesOf, seededSuite } from "./test-fixtures.js";

// Each run starts Node processes; under a full parallel test run that takes a while.

const suite = seededSuite();

const SECRETS = `
ml/openai_key > OPENAI_API_KEY
ml/db_creds/username > DB_USER
# every enabled secret of ml, prefixed
ml/* > ML_
admin/*
`;

const files = (dir: string): string =>
  `ml/tls_cert > ${dir}/certs/tls.pem\n{vault://coffer/ml/db_creds} > ${dir}/db.json`;

/** Everything revealed to `ci` by the inputs above. */
const REVEALED = ["openai", "dbCreds", "cert", "encoded", "shared"] as const;
/** Never revealed to `ci`: their values must appear nowhere, not even as masks. */
const NOT_REVEALED = ["disabled", "listOnly"] as const;

const inputs = (dir: string, more: Record<string, string> = {}): Record<string, string> => ({
  url: suite.coffer.url,
  token: suite.ciToken,
  secrets: SECRETS,
  files: files(dir),
  ...more,
});

const EXPECTED_ENV = {
  OPENAI_API_KEY: FIXTURES.openai.value,
  DB_USER: "fake-db-user-0002",
  ML_OPENAI_KEY: FIXTURES.openai.value,
  ML_DB_CREDS: FIXTURES.dbCreds.value,
  ML_TLS_CERT: FIXTURES.cert.value,
  ML_SIGNING_SEED: FIXTURES.encoded.value,
  SHARED_READ: FIXTURES.shared.value,
};

describe("a run with a token", () => {
  it("exports variables and outputs, writes 0600 files, and shows no value", async () => {
    const dir = path.join(suite.dir, "run");
    const run = await runAction({ inputs: inputs(dir, { outputs: "true" }) });
    expect(run.stderr).toBe("");
    expect(run.code, run.stdout).toBe(0);
    expect(run.env).toEqual(EXPECTED_ENV);
    expect(run.outputs).toEqual(EXPECTED_ENV);

    expect(await readFile(path.join(dir, "certs", "tls.pem"), "utf8")).toBe(FIXTURES.cert.value);
    expect(await readFile(path.join(dir, "db.json"), "utf8")).toBe(FIXTURES.dbCreds.value);
    for (const file of ["certs/tls.pem", "db.json"]) {
      expect((await stat(path.join(dir, file))).mode & 0o777).toBe(0o600);
    }
    expect((await stat(path.join(dir, "certs"))).mode & 0o777).toBe(0o700);

    const masks = run.all("add-mask");
    expect(masks).toEqual(expect.arrayContaining([suite.ciToken, ...piecesOf(...REVEALED)]));
    expect(masks.filter((m) => m.length < 4)).toEqual([]);
    expect(masks).not.toContain("ab");
    const everything = run.stdout + run.stderr + JSON.stringify(run.state);
    expect(leaksIn(everything, [suite.ciToken, ...piecesOf(...REVEALED, ...NOT_REVEALED)])).toEqual(
      [],
    );
    expect(leaksIn(masks.join("\n"), piecesOf(...NOT_REVEALED))).toEqual([]);

    expect(run.all("error")).toEqual([]);
    expect(run.all("warning")).toEqual([]);
    expect(run.stdout).toContain(
      'secrets line 6: "admin/*": admin/list_only skipped, you may list it but not read it',
    );
    expect(run.stdout).toContain(
      `Coffer: 7 environment variables (OPENAI_API_KEY, DB_USER, ML_DB_CREDS, ML_OPENAI_KEY, ML_SIGNING_SEED, ML_TLS_CERT, SHARED_READ), 7 outputs (`,
    );
    expect(run.stdout).toContain(`2 files (${dir}/certs/tls.pem, ${dir}/db.json)`);

    const post = await run.post();
    expect(post.code, post.stdout).toBe(0);
    expect(post.stdout).toContain(`Removed ${dir}/certs/tls.pem`);
    expect(await readdir(suite.dir)).not.toContain("run");
    expect(leaksIn(post.stdout + post.stderr, piecesOf(...REVEALED))).toEqual([]);

    const again = await run.post();
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toContain(`${dir}/db.json was already gone`);
  });

  it("registers every mask before any other line after the fetch, and before any export", async () => {
    const dir = path.join(suite.dir, "ordered");
    // stdout and GITHUB_ENV in one file: the order in which the runner would see them.
    const run = await runAction({ inputs: inputs(dir), interleaved: true });
    expect(run.code, run.stdout).toBe(0);
    const lines = run.stdout.split("\n");
    const isMask = (line: string): boolean => line.startsWith("::add-mask::");
    const firstOther = lines.findIndex((line) => !isMask(line));
    const firstExport = lines.findIndex((line) => /^\w+<<ghadelimiter_/.test(line));
    expect(lines.slice(firstOther).filter(isMask)).toEqual([]);
    expect(firstExport).toBeGreaterThanOrEqual(firstOther);
    const masks = commandsIn(lines.slice(0, firstOther).join("\n")).map((c) => c.data);
    expect(masks[0]).toBe(suite.ciToken);
    expect(masks).toEqual(expect.arrayContaining(piecesOf(...REVEALED)));
    expect(run.env).toEqual(EXPECTED_ENV);
    expect((await run.post()).code).toBe(0);
  });

  it("with export-env false and outputs true, sets outputs only", async () => {
    const run = await runAction({
      inputs: {
        url: suite.coffer.url,
        token: suite.ciToken,
        secrets: "ml/openai_key",
        "export-env": "false",
        outputs: "true",
      },
    });
    expect(run.code, run.stdout).toBe(0);
    expect(run.env).toEqual({});
    expect(run.outputs).toEqual({ OPENAI_KEY: FIXTURES.openai.value });
    expect(run.stdout).toContain("Coffer: 0 environment variables, 1 output (OPENAI_KEY), 0 files");
  });
});
