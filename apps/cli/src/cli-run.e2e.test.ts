/**
 * `coffer run` for whole sets (issue 16), the built binary against a real server: `--all`
 * (names as the Action derives them, reserved variables refused, one reveal request through a
 * counting proxy), `--env-file` and references in the inherited environment, `-e`/`-v`,
 * `--mask` on split output, and `--watch` restarting on a change. Values are fake.
 */
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { createCofferClient, type CofferClient } from "@coffer/client";
import { countingProxy, eventually, type CountingProxy } from "@coffer/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BIN,
  cliEnv,
  runCoffer,
  type Result,
  type RunOptions,
  startTestServer,
  type TestServer,
} from "./test-support.js";

let started: TestServer | undefined;
let proxy: CountingProxy | undefined;
let home: string;
let admin: CofferClient;
let env: Record<string, string>;

const coffer = (args: string[], options: RunOptions = {}): Promise<Result> =>
  runCoffer(home, args, { ...options, env: { ...env, ...options.env } });

/** A command printing the named variables as JSON (absent ones as null). */
const printEnv = (...names: string[]): string[] => [
  process.execPath,
  "-e",
  `console.log(JSON.stringify(Object.fromEntries(${JSON.stringify(names)}.map((n) => [n, process.env[n] ?? null]))))`,
];

beforeAll(async () => {
  started = await startTestServer("coffer-cli-run-", { jobs: false });
  home = started.home;
  proxy = await countingProxy(started.server.url);
  admin = createCofferClient({ url: started.server.url, token: started.server.adminToken! });
  for (const team of ["ml", "risky"]) await admin.team.create.mutate({ name: team });
  const secrets: [string, string][] = [
    ["ml/openai-key", "fake-openai-value"],
    ["ml/db_password", "fake-db-value"],
    ["ml/db_user", "fake-user-value"],
    ["ml/api", "fake-api-value"],
    ["risky/path", "/fake/path/value"],
    ["risky/token", "fake-risky-value"],
  ];
  for (const [secret, value] of secrets) await admin.secret.create.mutate({ secret, value });
  await admin.secret.disable.mutate({ secret: "ml/api" });
  env = { COFFER_URL: proxy.url, COFFER_TOKEN: started.server.adminToken! };
});

afterAll(async () => {
  await proxy?.close();
  await started?.close();
});

describe("coffer run --all", () => {
  it("injects every enabled secret of an owner, named as the Action names them, revealed in one request", async () => {
    proxy!.requests.length = 0;
    const run = await coffer([
      "run",
      "--all",
      "ml",
      "--",
      ...printEnv("OPENAI_KEY", "DB_PASSWORD", "DB_USER", "API"),
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      OPENAI_KEY: "fake-openai-value",
      DB_PASSWORD: "fake-db-value",
      DB_USER: "fake-user-value",
      API: null,
    });
    const reveals = proxy!.requests.filter((r) => r.includes("secret.batchReveal"));
    expect(reveals).toHaveLength(1);
    expect(proxy!.requests.filter((r) => r.includes("secret.list"))).toHaveLength(1);
  });

  it("above 100 secrets, reveals in calls of 100 that still go out as one HTTP request", async () => {
    await admin.team.create.mutate({ name: "many" });
    const names = Array.from({ length: 150 }, (_, i) => `v_${i}`);
    await Promise.all(
      names.map((name, i) =>
        admin.secret.create.mutate({ secret: `many/${name}`, value: `fake-many-${i}` }),
      ),
    );
    proxy!.requests.length = 0;
    const run = await coffer(["run", "--all", "many", "--", ...printEnv("V_0", "V_149")]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ V_0: "fake-many-0", V_149: "fake-many-149" });
    const reveals = proxy!.requests.filter((r) => r.includes("secret.batchReveal"));
    expect(reveals).toEqual(["POST /trpc/secret.batchReveal,secret.batchReveal"]);
  });

  it("takes OWNER/PREFIX* and --prefix; an explicit -e wins over the wildcard, with a notice", async () => {
    const run = await coffer(
      [
        "run",
        "--all",
        "ml/db*",
        "--prefix",
        "ML_",
        "-e",
        "ML_DB_USER=ml/openai-key",
        "--",
        ...printEnv("ML_DB_PASSWORD", "ML_DB_USER", "ML_OPENAI_KEY"),
      ],
      {},
    );
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      ML_DB_PASSWORD: "fake-db-value",
      ML_DB_USER: "fake-openai-value",
      ML_OPENAI_KEY: null,
    });
    expect(run.stderr).toBe("coffer: ml/db_user skipped: ML_DB_USER is set by --env ML_DB_USER\n");
  });

  it("refuses a secret that would set a reserved variable, before anything starts; a prefix makes it safe", async () => {
    const refused = await coffer(["run", "--all", "risky/*", "--", "echo", "started"]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toContain("risky/path would set PATH, which --all may not set");
    expect(refused.stderr).toContain("--prefix RISKY_");
    expect(refused.stderr).not.toContain("/fake/path/value");
    const prefixed = await coffer([
      "run",
      "--all",
      "risky",
      "--prefix",
      "RISKY_",
      "--",
      ...printEnv("RISKY_PATH", "RISKY_TOKEN"),
    ]);
    expect(prefixed.code, prefixed.stderr).toBe(0);
    expect(JSON.parse(prefixed.stdout)).toEqual({
      RISKY_PATH: "/fake/path/value",
      RISKY_TOKEN: "fake-risky-value",
    });
  });

  it("usage errors exit 2", async () => {
    const bad = await coffer(["run", "--all", "ml/a*b", "--", "true"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /^coffer: --all ml\/a\*b: write OWNER, OWNER\/\* or OWNER\/PREFIX\*\n/,
    );
    const lonePrefix = await coffer(["run", "--prefix", "ML_", "--", "true"]);
    expect(lonePrefix.code).toBe(2);
    const help = await coffer(["run", "--help"]);
    expect(help.stdout).toContain("$ coffer run --all ml -- node app.js");
  });
});

describe("references in --env-file and in the inherited environment", () => {
  it("resolves {vault://coffer/…} inside values, keeps the rest, and -e / -v work as --env / --volume", async () => {
    const file = path.join(home, "app.env");
    await writeFile(
      file,
      "API_KEY={vault://coffer/ml/openai-key}\r\nAUTH='Bearer {vault://coffer/ml/db_password}'\nPLAIN=fake-plain\n",
    );
    const run = await coffer(
      [
        "run",
        "--env-file",
        file,
        "-e",
        "SHORT:secret:ml/db_user",
        "-v",
        "secret:ml/db_user:user.txt",
        "--",
        process.execPath,
        "-e",
        `const fs = require("node:fs"); const e = process.env; console.log(JSON.stringify({ API_KEY: e.API_KEY, AUTH: e.AUTH, PLAIN: e.PLAIN, FROM_ENV: e.FROM_ENV, SHORT: e.SHORT, FILE: fs.readFileSync(e.COFFER_SECRETS_DIR + "/user.txt", "utf8") }))`,
      ],
      { env: { FROM_ENV: "user={vault://coffer/ml/db_user};" } },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      API_KEY: "fake-openai-value",
      AUTH: "Bearer fake-db-value",
      PLAIN: "fake-plain",
      FROM_ENV: "user=fake-user-value;",
      SHORT: "fake-user-value",
      FILE: "fake-user-value",
    });
  });

  it("leaves other backends' references to the command; names a variable it cannot resolve, and starts nothing", async () => {
    const other = await coffer(["run", "--", ...printEnv("ELSEWHERE")], {
      env: { ELSEWHERE: "{vault://env/some_var} {vault://coffer/ml/db_user}" },
    });
    expect(other.code, other.stderr).toBe(0);
    expect(JSON.parse(other.stdout)).toEqual({
      ELSEWHERE: "{vault://env/some_var} fake-user-value",
    });
    const malformed = await coffer(["run", "--", "echo", "started"], {
      env: { BROKEN: "{vault://coffer/ml/db_user#x}" },
    });
    expect(malformed.code).toBe(1);
    expect(malformed.stdout).toBe("");
    expect(malformed.stderr).toMatch(
      /^coffer: not started: BROKEN \(the environment\) holds a malformed reference/,
    );
    const missing = await coffer(["run", "--", "echo", "started"], {
      env: { GONE: "{vault://coffer/ml/nope}" },
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("GONE (the environment): ml/nope (NOT_FOUND");
  });
});

describe("coffer run --mask", () => {
  it("writes *** for injected values on stdout and stderr, also when a value comes in pieces", async () => {
    const script = [
      `const v = process.env.API_KEY;`,
      `process.stdout.write("key=" + v.slice(0, 5));`,
      `setTimeout(() => { process.stdout.write(v.slice(5) + " end\\n"); console.error("err " + process.env.DB + "!"); }, 200);`,
    ].join(" ");
    const run = await coffer([
      "run",
      "--mask",
      "-e",
      "API_KEY=ml/openai-key",
      "-e",
      "DB=ml/db_password",
      "--",
      process.execPath,
      "-e",
      script,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe("key=*** end\n");
    expect(run.stderr).toBe("err ***!\n");
  });
});

/** `coffer run --watch ARGS… -- node` printing `value $W` once per start; killed when done. */
function watching(args: string[]) {
  const child = spawn(
    process.execPath,
    [
      BIN,
      "run",
      "--watch",
      ...args,
      "--",
      process.execPath,
      "-e",
      `console.log("value " + process.env.W); setInterval(() => {}, 1000);`,
    ],
    { env: { ...cliEnv(home), ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const seen = { out: "", err: "" };
  child.stdout.on("data", (chunk: Buffer) => (seen.out += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (seen.err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  const shows = (text: string): Promise<true> =>
    eventually(`output ${JSON.stringify(text)}`, () =>
      seen.out.includes(text) ? true : undefined,
    );
  return { child, seen, exited, shows };
}

describe("coffer run --watch", () => {
  it("restarts the command with the new value when an injected secret changes", async () => {
    await admin.secret.create.mutate({ secret: "ml/watched", value: "fake-watch-one" });
    const { child, seen, exited, shows } = watching(["-e", "W=ml/watched"]);
    try {
      await shows("value fake-watch-one\n");
      await admin.secret.put.mutate({ secret: "ml/watched", value: "fake-watch-two" });
      await shows("value fake-watch-two\n");
      expect(seen.err).toContain("coffer: a secret changed; restarting the command\n");
      child.kill("SIGTERM");
      expect(await exited).toBe(143);
      expect(seen.out).toBe("value fake-watch-one\nvalue fake-watch-two\n");
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("with --all, restarts when a secret is added under the owner", async () => {
    await admin.team.create.mutate({ name: "watched" });
    await admin.secret.create.mutate({ secret: "watched/first", value: "fake-first" });
    const { child, exited, shows } = watching(["--all", "watched"]);
    try {
      await shows("value undefined\n");
      await admin.secret.create.mutate({ secret: "watched/w", value: "fake-added" });
      await shows("value fake-added\n");
      child.kill("SIGINT");
      expect(await exited).toBe(130);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
