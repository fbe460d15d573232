import { MAX_BATCH_REVEAL } from "@coffer/core";
import { describe, expect, it } from "vitest";
import {
  byOrigin,
  describeUnresolved,
  explicitWants,
  itemKey,
  ownersOf,
  resolveWants,
  revealBatches,
  wildcardWants,
  type Listed,
  type RevealAnswer,
  type Want,
} from "./fetch-plan.js";
import { parseFilesInput, parseSecretsInput } from "./input-lines.js";

const listing = (...names: string[]): Listed[] =>
  names.map((name) => ({ name, status: "enabled" }));
const ok = (value: string): RevealAnswer => ({ ok: true, value });
const failed = (errorCode: string, message: string): RevealAnswer => ({
  ok: false,
  error: { errorCode, message },
});
const answersFor = (wants: readonly Want[], answer: (secret: string) => RevealAnswer) =>
  new Map(wants.map((w) => [itemKey(w.item), answer(w.item.secret)]));

describe("explicit references", () => {
  it("become one reveal item each, with their destination and the line as written", () => {
    const secrets = parseSecretsInput("ml/db_creds/username > DB_USER\nml/*\nml/key#2 > OLD");
    const files = parseFilesInput("\n{vault://coffer/ml/tls?stage=previous} > tls.pem");
    expect(explicitWants(secrets, files)).toEqual([
      {
        origin: { input: "secrets", line: 1, text: "ml/db_creds/username" },
        item: { secret: "ml/db_creds", key: "username" },
        dest: { kind: "env", name: "DB_USER" },
        wildcard: false,
      },
      {
        origin: { input: "secrets", line: 3, text: "ml/key#2" },
        item: { secret: "ml/key", version: 2 },
        dest: { kind: "env", name: "OLD" },
        wildcard: false,
      },
      {
        origin: { input: "files", line: 2, text: "{vault://coffer/ml/tls?stage=previous}" },
        item: { secret: "ml/tls", stage: "previous" },
        dest: { kind: "file", path: "tls.pem" },
        wildcard: false,
      },
    ]);
    expect(ownersOf(parseSecretsInput("ml/*\nops/* > OPS_\nml/* > AGAIN_"))).toEqual(["ml", "ops"]);
  });

  it("are asked once each, in batches the server takes", () => {
    const items = Array.from({ length: 250 }, (_, i) => ({ secret: `s${i % 210}` }));
    const batches = revealBatches([...items, { secret: "s0", version: 1 }]);
    expect(batches.map((b) => b.length)).toEqual([MAX_BATCH_REVEAL, MAX_BATCH_REVEAL, 11]);
    expect(new Set(batches.flat().map(itemKey)).size).toBe(211);
    expect(revealBatches([])).toEqual([]);
  });
});

describe("OWNER/* lines", () => {
  it("take the enabled secrets listed, named prefix + env name", () => {
    const secrets = parseSecretsInput("ml/* > ML_\nops/*");
    const listings = new Map([
      [
        "ml",
        [
          ...listing("openai-key", "db_pass"),
          { name: "old", status: "disabled" },
          { name: "gone", status: "pending_deletion" },
        ],
      ],
      ["ops", listing("deploy_key")],
    ]);
    const plan = wildcardWants(secrets, listings, []);
    expect(plan.wants.map((w) => [w.origin.line, w.item.secret, w.dest])).toEqual([
      [1, "ml/openai-key", { kind: "env", name: "ML_OPENAI_KEY" }],
      [1, "ml/db_pass", { kind: "env", name: "ML_DB_PASS" }],
      [2, "ops/deploy_key", { kind: "env", name: "DEPLOY_KEY" }],
    ]);
    expect(plan.wants.every((w) => w.wildcard)).toBe(true);
    expect(plan).toMatchObject({ unresolved: [], notices: [], refusals: [] });
  });

  it("leave a variable an explicit line sets to that line", () => {
    const secrets = parseSecretsInput("other/db_pass > ML_DB_PASS\nml/* > ML_");
    const plan = wildcardWants(
      secrets,
      new Map([["ml", listing("db_pass", "api_key")]]),
      explicitWants(secrets, []),
    );
    expect(plan.wants.map((w) => w.item.secret)).toEqual(["ml/api_key"]);
    expect(plan.notices).toEqual([
      'secrets line 2: "ml/*": ml/db_pass skipped, ML_DB_PASS is set by secrets line 1',
    ]);
  });

  it("report two secrets that would set one variable as a conflict", () => {
    const plan = wildcardWants(
      parseSecretsInput("ml/*\nops/*\nml/*"),
      new Map([
        ["ml", listing("api-key", "other")],
        ["ops", listing("api_key")],
      ]),
      [],
    );
    expect(plan.wants.map((w) => w.item.secret)).toEqual(["ml/api-key", "ml/other"]);
    expect(plan.refusals).toEqual([
      'secrets line 2: "ops/*": ops/api_key and ml/api-key (line 1) would both set API_KEY; set API_KEY with a line of its own',
    ]);
  });

  it("refuse, without revealing it, a secret that would set a reserved variable", () => {
    const secrets = parseSecretsInput("ml/*\nops/* > GIT\nml/path > PATH");
    const plan = wildcardWants(
      secrets,
      new Map([
        ["ml", listing("path", "ld_preload", "Node-Options", "api_key")],
        ["ops", listing("hub_token", "lab_token")],
      ]),
      explicitWants(secrets, []),
    );
    expect(plan.wants.map((w) => w.dest)).toEqual([
      { kind: "env", name: "API_KEY" },
      { kind: "env", name: "GITLAB_TOKEN" },
    ]);
    expect(plan.notices).toEqual([
      'secrets line 1: "ml/*": ml/path skipped, PATH is set by secrets line 3',
    ]);
    expect(plan.refusals).toEqual([
      'secrets line 1: "ml/*": ml/ld_preload would set LD_PRELOAD, which a wildcard may not set (it can change what later steps run); give the line a prefix (ml/* > ML_) or set LD_PRELOAD with a line of its own (ml/ld_preload > LD_PRELOAD)',
      'secrets line 1: "ml/*": ml/Node-Options would set NODE_OPTIONS, which a wildcard may not set (it can change what later steps run); give the line a prefix (ml/* > ML_) or set NODE_OPTIONS with a line of its own (ml/Node-Options > NODE_OPTIONS)',
      'secrets line 2: "ops/*": ops/hub_token would set GITHUB_TOKEN, which a wildcard may not set (it can change what later steps run); give the line another prefix (ops/* > OPS_) or set GITHUB_TOKEN with a line of its own (ops/hub_token > GITHUB_TOKEN)',
    ]);
  });

  it("suggest a prefix that is not reserved itself", () => {
    const plan = wildcardWants(
      parseSecretsInput("github/*"),
      new Map([["github", listing("bash_env")]]),
      [],
    );
    expect(plan.refusals[0]).toContain("give the line a prefix (github/* > COFFER_GITHUB_)");
  });

  it("are unresolved when the owner has no enabled secret the caller can list", () => {
    const plan = wildcardWants(
      parseSecretsInput("ml/*\nempty/*"),
      new Map([
        ["ml", [{ name: "old", status: "disabled" }]],
        ["empty", []],
      ]),
      [],
    );
    expect(plan.wants).toEqual([]);
    expect(plan.unresolved.map(describeUnresolved)).toEqual([
      'secrets line 1: "ml/*": ml has no enabled secret you can list',
      'secrets line 2: "empty/*": empty has no enabled secret you can list',
    ]);
  });
});

describe("answers", () => {
  it("are reported in the order of the inputs' lines", () => {
    const at = (input: "secrets" | "files", line: number) => ({
      origin: { input, line, text: "x" },
    });
    const sorted = [at("files", 1), at("secrets", 6), at("secrets", 2)].sort(byOrigin);
    expect(sorted.map((u) => `${u.origin.input} ${u.origin.line}`)).toEqual([
      "secrets 2",
      "secrets 6",
      "files 1",
    ]);
  });

  it("put values at their targets and name every failure by line and text as written", () => {
    const secrets = parseSecretsInput("ml/a\nml/missing > M\nml/creds/user");
    const files = parseFilesInput("ml/a > a.txt");
    const wants = explicitWants(secrets, files);
    const outcome = resolveWants(
      wants,
      answersFor(wants, (secret) =>
        secret === "ml/a"
          ? ok("fake-a")
          : secret === "ml/missing"
            ? failed("NOT_FOUND", "secret://default/ml/missing not found")
            : failed("UNPROCESSABLE_ENTITY", 'secret://default/ml/creds#1 has no key "user"'),
      ),
    );
    expect(outcome.resolved.map((r) => [r.dest, r.value])).toEqual([
      [{ kind: "env", name: "A" }, "fake-a"],
      [{ kind: "file", path: "a.txt" }, "fake-a"],
    ]);
    expect(outcome.unresolved.map(describeUnresolved)).toEqual([
      'secrets line 2: "ml/missing": secret://default/ml/missing not found (NOT_FOUND)',
      'secrets line 3: "ml/creds/user": secret://default/ml/creds#1 has no key "user" (UNPROCESSABLE_ENTITY)',
    ]);
    expect(outcome.notices).toEqual([]);
  });

  it("skip a wildcard's secret the caller may list but not read, and fail an explicit one", () => {
    const secrets = parseSecretsInput("ml/hidden > EXPLICIT");
    const explicit = explicitWants(secrets, []);
    const wildcard = wildcardWants(
      parseSecretsInput("\nml/*"),
      new Map([["ml", listing("hidden", "open")]]),
      [],
    ).wants;
    const wants = [...explicit, ...wildcard];
    const outcome = resolveWants(
      wants,
      answersFor(wants, (secret) =>
        secret === "ml/hidden"
          ? failed("FORBIDDEN", "read on secret://default/ml/hidden is not granted")
          : ok("fake-open"),
      ),
    );
    expect(outcome.resolved.map((r) => r.dest)).toEqual([{ kind: "env", name: "OPEN" }]);
    expect(outcome.unresolved.map(describeUnresolved)).toEqual([
      'secrets line 1: "ml/hidden": read on secret://default/ml/hidden is not granted (FORBIDDEN)',
    ]);
    expect(outcome.notices).toEqual([
      'secrets line 2: "ml/*": ml/hidden skipped, you may list it but not read it',
    ]);
  });
});
