/**
 * `coffer rotation …` and `coffer rotator …` against a real server whose rotation executor
 * runs (jobs on), so `rotation run --wait` sees a job end. Values are fake.
 */
import { type CofferServer } from "@coffer/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCoffer, type Result, startTestServer, type TestServer } from "./test-support.js";

let server: CofferServer;
let started: TestServer | undefined;

function coffer(args: string[]): Promise<Result> {
  return runCoffer(started!.home, args);
}

beforeAll(async () => {
  started = await startTestServer("coffer-cli-rotation-");
  server = started.server;
  const login = await coffer(["login", "--url", server.url, "--token", server.adminToken!]);
  expect(login.code, login.stderr).toBe(0);
});

afterAll(async () => {
  await started?.close();
});

/** Each test runs `coffer` a dozen times: seconds on a loaded machine, so a generous bound. */
describe("rotators and rotation", { timeout: 60_000 }, () => {
  it("adds, lists and removes a rotator; refuses to remove one in use", async () => {
    const add = await coffer(["rotator", "add", "fake-rnd", "--kind", "random"]);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stderr).toContain("admin/fake-rnd");
    const spare = await coffer(["rotator", "add", "fake-spare", "--kind", "random"]);
    expect(spare.code, spare.stderr).toBe(0);
    const ls = await coffer(["rotator", "ls", "--json"]);
    expect(ls.code, ls.stderr).toBe(0);
    const refs = (JSON.parse(ls.stdout) as { ref: string; kind: string }[]).map((r) => r.ref);
    expect(refs).toEqual(expect.arrayContaining(["admin/fake-rnd", "admin/fake-spare"]));
    expect((await coffer(["rotator", "ls"])).stdout).toMatch(/^ROTATOR\s+KIND/);

    const usage = await coffer(["rotator", "add", "fake-pg", "--kind", "postgres"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("--admin-secret and --role");

    expect((await coffer(["secret", "add", "fake-rotated", "fake-initial-value"])).code).toBe(0);
    const set = await coffer([
      "rotation",
      "set",
      "fake-rotated",
      "--rotator",
      "fake-rnd",
      "--every",
      "30d",
      "--no-auto",
    ]);
    expect(set.code, set.stderr).toBe(0);
    const show = await coffer(["rotation", "show", "fake-rotated", "--json"]);
    expect(show.code, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({
      rotator: "admin/fake-rnd",
      every: "30d",
      auto: false,
      activeJob: null,
    });

    const inUse = await coffer(["rotator", "rm", "fake-rnd"]);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toMatch(/^coffer: INVALID_STATUS: rotator admin\/fake-rnd is in use by /);
    const rm = await coffer(["rotator", "rm", "fake-spare"]);
    expect(rm.code, rm.stderr).toBe(0);
    const after = JSON.parse((await coffer(["rotator", "ls", "--json"])).stdout) as {
      ref: string;
    }[];
    expect(after.map((r) => r.ref)).not.toContain("admin/fake-spare");
  });

  it("runs a rotation to its end with --wait, and lists the job", async () => {
    const run = await coffer(["rotation", "run", "fake-rotated", "--wait", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const job = JSON.parse(run.stdout) as { id: string; state: string };
    expect(job.state).toBe("succeeded");
    const value = await coffer(["secret", "get", "fake-rotated"]);
    expect(value.code, value.stderr).toBe(0);
    expect(value.stdout).not.toBe("fake-initial-value");
    expect(value.stdout.length).toBeGreaterThan(0);

    const jobs = await coffer(["rotation", "jobs", "fake-rotated", "--json"]);
    expect(jobs.code, jobs.stderr).toBe(0);
    const items = JSON.parse(jobs.stdout) as { id: string; state: string; trigger: string }[];
    expect(items[0]).toMatchObject({ id: job.id, state: "succeeded", trigger: "manual" });
    expect(jobs.stdout).not.toContain(value.stdout);
    expect((await coffer(["rotation", "jobs", "fake-rotated"])).stdout).toMatch(/^JOB\s+MODE/);
  });

  it("run --wait exits 1 when the job fails, and nothing is promoted", async () => {
    expect((await coffer(["secret", "add", "fake-plain", "fake-plain-value"])).code).toBe(0);
    const set = await coffer([
      "rotation",
      "set",
      "fake-plain",
      "--rotator",
      "fake-rnd",
      "--targets",
      "password",
      "--no-auto",
    ]);
    expect(set.code, set.stderr).toBe(0);
    const bad = await coffer([
      "rotation",
      "set",
      "fake-plain",
      "--rotator",
      "fake-rnd",
      "--every",
      "5x",
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      "coffer: INVALID_REQUEST: --every must be hours or days, such as 12h or 90d\n",
    );
    const run = await coffer(["rotation", "run", "fake-plain", "--wait"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/is failed: .*not a JSON object/);
    expect((await coffer(["secret", "get", "fake-plain"])).stdout).toBe("fake-plain-value");
  });

  it("cancel with no active job fails with the server's message", async () => {
    const cancel = await coffer(["rotation", "cancel", "fake-rotated"]);
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toMatch(/^coffer: INVALID_STATUS: .*has no active rotation job/);
  });

  it("adds postgres and webhook rotators with their options, and shows them", async () => {
    expect(
      (await coffer(["secret", "add", "fake-pg-admin", "postgres://fake@127.0.0.1/fake"])).code,
    ).toBe(0);
    const pg = await coffer([
      "rotator",
      "add",
      "fake-pg",
      "--kind",
      "postgres",
      "--description",
      "fake database",
      "--admin-secret",
      "fake-pg-admin",
      "--role",
      "fake_role",
      "--database",
      "fake_db",
    ]);
    expect(pg.code, pg.stderr).toBe(0);
    const pgShow = await coffer(["rotator", "show", "fake-pg", "--json"]);
    expect(pgShow.code, pgShow.stderr).toBe(0);
    expect(JSON.parse(pgShow.stdout)).toMatchObject({
      ref: "admin/fake-pg",
      kind: "postgres",
      description: "fake database",
      postgres: { adminSecret: "admin/fake-pg-admin", role: "fake_role", database: "fake_db" },
      webhook: null,
    });
    const pgText = await coffer(["rotator", "show", "admin/fake-pg"]);
    expect(pgText.stdout).toMatch(/^rotator:\s+admin\/fake-pg\n/);
    expect(pgText.stdout).toMatch(/\nrole:\s+fake_role\n/);
    expect(pgText.stdout).not.toContain("postgres://");

    const hook = await coffer([
      "rotator",
      "add",
      "fake-hook",
      "--kind",
      "webhook",
      "--url",
      "http://127.0.0.1:9/fake-rotate",
      "--mode",
      "callback",
    ]);
    expect(hook.code, hook.stderr).toBe(0);
    const hookShow = JSON.parse(
      (await coffer(["rotator", "show", "fake-hook", "--json"])).stdout,
    ) as {
      webhook: { url: string; mode: string; signingSecret: string };
    };
    expect(hookShow.webhook).toMatchObject({
      url: "http://127.0.0.1:9/fake-rotate",
      mode: "callback",
    });
    expect(hookShow.webhook.signingSecret).toMatch(/^admin\//);

    const missing = await coffer(["rotator", "show", "fake-nothing"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^coffer: NOT_FOUND: /);
  });

  it("refuses options of another kind, and bad kinds and modes, as usage errors", async () => {
    const cases: [string[], string][] = [
      [["--kind", "random", "--role", "r"], "--role: only with --kind postgres"],
      [
        ["--kind", "random", "--url", "http://127.0.0.1:9/x", "--mode", "driver"],
        "--url, --mode: only with --kind webhook",
      ],
      [
        ["--kind", "webhook", "--url", "http://127.0.0.1:9/x", "--database", "d"],
        "--database: only with --kind postgres",
      ],
      [
        [
          "--kind",
          "postgres",
          "--admin-secret",
          "fake-pg-admin",
          "--role",
          "r",
          "--signing-secret",
          "s",
        ],
        "--signing-secret: only with --kind webhook",
      ],
      [["--kind", "webhook"], "--kind webhook needs --url"],
      [
        ["--kind", "webhook", "--url", "http://127.0.0.1:9/x", "--mode", "push"],
        "--mode is driver or callback",
      ],
      [["--kind", "lambda"], "--kind is random, postgres or webhook"],
    ];
    for (const [args, message] of cases) {
      const result = await coffer(["rotator", "add", "fake-wrong", ...args]);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toContain(`coffer: ${message}\n`);
      expect(result.stderr).toContain("usage: coffer rotator add NAME --kind");
    }
    const names = (
      JSON.parse((await coffer(["rotator", "ls", "--json"])).stdout) as { ref: string }[]
    ).map((r) => r.ref);
    expect(names).not.toContain("admin/fake-wrong");
  });

  it("sets generator options and attempts on a policy; the rotated value follows them", async () => {
    expect((await coffer(["secret", "add", "fake-gen", "fake-gen-initial"])).code).toBe(0);
    const set = await coffer([
      "rotation",
      "set",
      "fake-gen",
      "--rotator",
      "fake-rnd",
      "--no-auto",
      "--max-attempts",
      "3",
      "--length",
      "12",
      "--exclude-punctuation",
      "--exclude-uppercase",
    ]);
    expect(set.code, set.stderr).toBe(0);
    const policy = JSON.parse(
      (await coffer(["rotation", "show", "fake-gen", "--json"])).stdout,
    ) as unknown;
    expect(policy).toMatchObject({
      maxAttempts: 3,
      generate: { length: 12, excludePunctuation: true, excludeUppercase: true },
    });
    const text = await coffer(["rotation", "show", "fake-gen"]);
    const generateLine = /\ngenerate:\s+(.*)\n/.exec(text.stdout)?.[1];
    expect(generateLine?.split(" ").sort()).toEqual([
      "excludePunctuation=true",
      "excludeUppercase=true",
      "length=12",
    ]);
    expect(text.stdout).toMatch(/\nmax attempts:\s*3\n/);

    const run = await coffer(["rotation", "run", "fake-gen", "--wait"]);
    expect(run.code, run.stderr).toBe(0);
    const value = (await coffer(["secret", "get", "fake-gen"])).stdout;
    expect(value).toMatch(/^[a-z0-9]{12}$/);

    const refusals: [string[], number, string][] = [
      [["--max-attempts", "11"], 1, "coffer: INVALID_REQUEST: --max-attempts must be at most 10\n"],
      [["--max-attempts", "x"], 2, "coffer: --max-attempts takes a whole number from 1 to 10\n"],
      [["--targets", " , "], 2, "coffer: --targets takes JSON keys, comma-separated\n"],
      [["--length", "-3"], 2, "coffer: --length takes a whole number from 1 to 4096\n"],
    ];
    for (const [args, code, message] of refusals) {
      const refused = await coffer([
        "rotation",
        "set",
        "fake-gen",
        "--rotator",
        "fake-rnd",
        ...args,
      ]);
      expect(refused.code, args.join(" ")).toBe(code);
      expect(refused.stderr.startsWith(message), refused.stderr).toBe(true);
    }
    expect(
      JSON.parse((await coffer(["rotation", "show", "fake-gen", "--json"])).stdout),
    ).toMatchObject({ maxAttempts: 3 });
  });

  it("turns automatic rotation on and off", async () => {
    const on = await coffer(["rotation", "auto", "fake-gen", "on"]);
    expect(on.code, on.stderr).toBe(0);
    expect(on.stderr).toMatch(
      /^Automatic rotation of secret:\/\/default\/admin\/fake-gen is on, next \d{4}-/,
    );
    const shownOn = JSON.parse(
      (await coffer(["rotation", "show", "fake-gen", "--json"])).stdout,
    ) as {
      auto: boolean;
      nextDueAt: string | null;
    };
    expect(shownOn.auto).toBe(true);
    expect(shownOn.nextDueAt).not.toBeNull();

    const off = await coffer(["rotation", "auto", "fake-gen", "off"]);
    expect(off.code, off.stderr).toBe(0);
    expect(off.stderr).toBe("Automatic rotation of secret://default/admin/fake-gen is off\n");
    expect(
      JSON.parse((await coffer(["rotation", "show", "fake-gen", "--json"])).stdout),
    ).toMatchObject({
      auto: false,
      nextDueAt: null,
    });

    const bad = await coffer(["rotation", "auto", "fake-gen", "maybe"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("usage: coffer rotation auto SECRET on|off");
  });

  it("lists jobs and rotators whole, or the first --limit N", async () => {
    for (let i = 0; i < 2; i += 1)
      expect((await coffer(["rotation", "test", "fake-gen", "--wait"])).code).toBe(0);
    const all = JSON.parse((await coffer(["rotation", "jobs", "fake-gen", "--json"])).stdout) as {
      id: string;
      mode: string;
    }[];
    expect(all.map((j) => j.mode)).toEqual(["dryRun", "dryRun", "rotation"]);
    const two = await coffer(["rotation", "jobs", "fake-gen", "--limit", "2", "--json"]);
    expect(two.code, two.stderr).toBe(0);
    expect((JSON.parse(two.stdout) as { id: string }[]).map((j) => j.id)).toEqual(
      all.slice(0, 2).map((j) => j.id),
    );
    const rotators = await coffer(["rotator", "ls", "--limit", "1", "--json"]);
    expect(rotators.code, rotators.stderr).toBe(0);
    expect(JSON.parse(rotators.stdout)).toHaveLength(1);
    const bad = await coffer(["rotator", "ls", "--limit", "0"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--limit takes a whole number from 1 to 100000");
  });
});
