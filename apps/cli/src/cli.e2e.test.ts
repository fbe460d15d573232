/**
 * The built `coffer` binary, run as a child process against a real server (PGlite in a
 * temporary directory). Values are fake.
 */
import { spawn } from "node:child_process";
import { access, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { type CofferServer } from "@coffer/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BIN,
  runCoffer,
  type Result,
  type RunOptions,
  startTestServer,
  type TestServer,
} from "./test-support.js";

// Every step starts a Node process; under a full parallel test run that takes a while.

let server: CofferServer;
let started: TestServer | undefined;
let home: string;
const clock = { offsetMs: 0 };

function coffer(args: string[], options?: RunOptions): Promise<Result> {
  return runCoffer(home, args, options);
}

beforeAll(async () => {
  started = await startTestServer("coffer-cli-", {
    jobs: false,
    now: () => new Date(Date.now() + clock.offsetMs),
  });
  server = started.server;
  home = started.home;
  const login = await coffer(["login", "--url", server.url, "--token", server.adminToken!]);
  expect(login.code, login.stderr).toBe(0);
});

afterAll(async () => {
  await started?.close();
});

describe("login and whoami", () => {
  it("saves the login with mode 0600 and says who and which server", async () => {
    const info = await stat(path.join(home, "cfg", "config.json"));
    expect(info.mode & 0o777).toBe(0o600);
    const me = await coffer(["whoami", "--json"]);
    expect(me.code).toBe(0);
    expect(JSON.parse(me.stdout)).toMatchObject({ name: "admin", org: "default", url: server.url });
    const text = await coffer(["whoami"]);
    expect(text.stdout).toContain(`admin on ${server.url}`);
  });

  it("refuses a bad token at login, and asks to log in when there is none", async () => {
    const bad = await coffer(["login", "--url", server.url, "--token", `cft_${"A".repeat(49)}`], {
      configDir: path.join(home, "other"),
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^coffer: UNAUTHORIZED: /);
    const none = await coffer(["secret", "ls"], { configDir: path.join(home, "nobody") });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("not logged in");
  });

  it("COFFER_URL and COFFER_TOKEN override the saved login; an expired token is refused", async () => {
    const made = await coffer(["token", "create", "--name", "short", "--expires", "2m"]);
    expect(made.code, made.stderr).toBe(0);
    const token = made.stdout.trim();
    const env = { COFFER_URL: server.url, COFFER_TOKEN: token };
    expect((await coffer(["whoami"], { env, configDir: path.join(home, "nobody") })).code).toBe(0);
    clock.offsetMs = 3 * 60_000;
    const expired = await coffer(["whoami"], { env, configDir: path.join(home, "nobody") });
    clock.offsetMs = 0;
    expect(expired.code).toBe(1);
    expect(expired.stderr).toBe("coffer: UNAUTHORIZED: this token has expired\n");
  });
});

describe("the Neu.ro forms, exactly as written", () => {
  it("secret add VALUE and @FILE, share secret:NAME USER, acl list, secret ls, secret rm", async () => {
    expect((await coffer(["secret", "add", "secret-password", "p@$$w0rd123"])).code).toBe(0);
    await writeFile(path.join(home, "file.txt"), "fake-from-a-file\n");
    expect(
      (await coffer(["secret", "add", "secret-file", `@${path.join(home, "file.txt")}`])).code,
    ).toBe(0);
    const bob = await coffer(["user", "add", "bob"]);
    expect(bob.stdout).toMatch(/^cft_/);
    expect((await coffer(["share", "secret:secret-password", "bob"])).code).toBe(0);
    const acl = await coffer(["acl", "list"]);
    expect(acl.stdout).toMatch(/by you\s+secret:\/\/default\/admin\/secret-password\s+bob\s+read/);
    const ls = await coffer(["secret", "ls"]);
    expect(ls.stdout).toMatch(/^NAME\s+STATUS\s+VERSION/);
    expect(ls.stdout).toContain("admin/secret-password");
    expect(ls.stdout).not.toContain("p@$$w0rd123");
    expect((await coffer(["secret", "get", "secret-password"])).stdout).toBe("p@$$w0rd123");
    expect((await coffer(["secret", "get", "secret-file"])).stdout).toBe("fake-from-a-file\n");
    // bob reads what was shared with him
    const bobEnv = { COFFER_URL: server.url, COFFER_TOKEN: bob.stdout.trim() };
    const asBob = await coffer(["secret", "get", "admin/secret-password"], {
      env: bobEnv,
      configDir: path.join(home, "nobody"),
    });
    expect(asBob.stdout).toBe("p@$$w0rd123");
    const rmd = await coffer(["secret", "rm", "secret-file"]);
    expect(rmd.code).toBe(0);
    // Neu.ro's rm is quiet when all is well (the deletion is scheduled: `secret restore` undoes it).
    expect(rmd.stderr).toBe("");
  });

  it("run --env mypass:secret:NAME --volume secret:NAME:PATH -- CMD: env, file 0600, exit code, clean-up", async () => {
    const file = path.join(home, "vol", "deep", "secret-password.txt");
    const run = await coffer([
      "run",
      "--env",
      "mypass:secret:secret-password",
      "--volume",
      `secret:secret-password:${file}`,
      "--",
      "sh",
      "-c",
      `printf '%s|' "$mypass"; cat "${file}"; stat -c %a "${file}"; exit 7`,
    ]);
    expect(run.code).toBe(7);
    expect(run.stdout).toBe("p@$$w0rd123|p@$$w0rd123600\n");
    await expect(access(file)).rejects.toThrow();
    await expect(access(path.join(home, "vol"))).rejects.toThrow();
  });
});

describe("values in and out", () => {
  it("secret add NAME - reads stdin; --generate makes a value; rotate, get --stage previous, rollback", async () => {
    expect(
      (await coffer(["secret", "add", "from_stdin", "-"], { stdin: "fake-stdin-value" })).code,
    ).toBe(0);
    expect((await coffer(["secret", "get", "from_stdin"])).stdout).toBe("fake-stdin-value");
    expect(
      (
        await coffer([
          "secret",
          "add",
          "generated",
          "--generate",
          "--length",
          "24",
          "--exclude-punctuation",
        ])
      ).code,
    ).toBe(0);
    expect((await coffer(["secret", "get", "generated"])).stdout).toMatch(/^[A-Za-z0-9]{24}$/);
    expect((await coffer(["secret", "rotate", "from_stdin", "fake-rotated"])).code).toBe(0);
    expect((await coffer(["secret", "get", "from_stdin", "--stage", "previous"])).stdout).toBe(
      "fake-stdin-value",
    );
    expect((await coffer(["secret", "rollback", "from_stdin"])).code).toBe(0);
    expect((await coffer(["secret", "get", "from_stdin"])).stdout).toBe("fake-stdin-value");
    const described = JSON.parse(
      (await coffer(["secret", "describe", "from_stdin", "--json"])).stdout,
    ) as {
      currentVersion: number;
      versions: unknown[];
    };
    expect(described).toMatchObject({ currentVersion: 1 });
    expect(described.versions).toHaveLength(2);
    expect(JSON.stringify(described)).not.toContain("fake-");
  });

  it("import: good lines created, bad lines reported, nothing else lost; export JSON", async () => {
    const envFile = path.join(home, "import.env");
    await writeFile(
      envFile,
      [
        "# fake values",
        "IMPORT_ONE=fake-one",
        "export IMPORT_TWO='fake two'",
        "this line is wrong",
        "9BAD=fake-bad",
        'IMPORT_THREE="fake\\nthree"',
        "",
      ].join("\n"),
    );
    const imported = await coffer(["secret", "import", envFile]);
    expect(imported.code).toBe(1);
    expect(imported.stderr).toContain(`${envFile}:4: not KEY=VALUE, skipped`);
    expect(imported.stderr).toContain("9BAD: not a secret name");
    expect(imported.stderr).toContain("3 added, 0 rotated, 0 skipped, 2 failed");
    expect(imported.stderr).not.toContain("fake-");
    const again = await coffer(["secret", "import", envFile, "--overwrite"]);
    expect(again.stderr).toContain("0 added, 3 rotated");
    const exported = JSON.parse(
      (await coffer(["secret", "export", "--owner", "admin", "--format", "json"])).stdout,
    ) as Record<string, string>;
    expect(exported).toMatchObject({
      IMPORT_ONE: "fake-one",
      IMPORT_TWO: "fake two",
      IMPORT_THREE: "fake\nthree",
    });
  });
});

describe("the other secret and sharing commands", () => {
  it("restore, disable, enable, unshare, acl ls --json, secret ls --json, export dotenv", async () => {
    expect((await coffer(["secret", "restore", "secret-file"])).stderr).toContain("is enabled");
    expect((await coffer(["secret", "disable", "secret-file"])).stderr).toContain("is disabled");
    const disabled = await coffer(["secret", "get", "secret-file"]);
    expect(disabled.code).toBe(1);
    expect(disabled.stderr).toMatch(/^coffer: INVALID_STATUS: .* is disabled\n$/);
    expect((await coffer(["secret", "enable", "secret-file"])).stderr).toContain("is enabled");
    const listed = JSON.parse((await coffer(["secret", "ls", "--json"])).stdout) as {
      uri: string;
      status: string;
    }[];
    expect(listed.find((s) => s.uri.endsWith("/secret-file"))?.status).toBe("enabled");
    expect((await coffer(["unshare", "secret:secret-password", "bob"])).code).toBe(0);
    const acl = JSON.parse((await coffer(["acl", "ls", "--json"])).stdout) as {
      toMe: unknown[];
      byMe: unknown[];
    };
    expect(acl).toEqual({ toMe: [], byMe: [] });
    const dotenv = await coffer(["secret", "export", "--owner", "admin"]);
    expect(dotenv.code).toBe(0);
    const { parse } = await import("dotenv");
    expect(parse(dotenv.stdout)).toMatchObject({
      "secret-password": "p@$$w0rd123",
      "secret-file": "fake-from-a-file\n",
    });
  });
});

describe("wrong input", () => {
  it.each([
    [
      ["secret", "get", "no_such_secret"],
      1,
      /^coffer: NOT_FOUND: secret:\/\/default\/admin\/no_such_secret not found\n$/,
    ],
    [["secret", "add", "9lives", "fake"], 1, /^coffer: INVALID_REQUEST: .*9lives/],
    [
      ["secret", "add", "x_file", "@/nonexistent/file.txt"],
      1,
      /^coffer: cannot read \/nonexistent\/file.txt: no such file\n$/,
    ],
    [["secret", "add"], 2, /missing required argument 'name'/],
    [["secret", "add", "novalue"], 2, /a value is needed/],
    [["secret", "rm", "secret-password", "--now"], 2, /add --yes to confirm/],
    [
      ["share", "secret:secret-password", "bob", "--perm", "owner"],
      2,
      /--perm is list, read, write or manage/,
    ],
    [["token", "create", "--name", "x", "--expires", "soon"], 2, /--expires takes a duration/],
    [["bogus"], 2, /unknown command 'bogus'/],
  ])("coffer %j → exit %i", async (args, code, message) => {
    const result = await coffer(args);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe("");
  });

  it("run never overwrites a file, nor writes outside its directory with a relative path", async () => {
    const existing = path.join(home, "existing.txt");
    await writeFile(existing, "keep me");
    const over = await coffer([
      "run",
      "--volume",
      `secret:secret-password:${existing}`,
      "--",
      "true",
    ]);
    expect(over.code).toBe(1);
    expect(over.stderr).toContain("already exists; coffer run does not overwrite files");
    expect(await readFile(existing, "utf8")).toBe("keep me");
    const escape = await coffer([
      "run",
      "--volume",
      "secret:secret-password:../escaped.txt",
      "--",
      "true",
    ]);
    expect(escape.code).toBe(2);
    expect(escape.stderr).toContain("a relative PATH must stay inside the private directory");
  });

  it("login takes COFFER_URL when --url is not given", async () => {
    const other = path.join(home, "url-from-env");
    const login = await coffer(["login", "--token", server.adminToken!], {
      env: { COFFER_URL: server.url },
      configDir: other,
    });
    expect(login.code, login.stderr).toBe(0);
    expect(JSON.parse(await readFile(path.join(other, "config.json"), "utf8"))).toMatchObject({
      url: server.url,
    });
  });

  it("run stops before the command starts when a secret is missing, naming it", async () => {
    const marker = path.join(home, "started");
    const run = await coffer([
      "run",
      "--env",
      "X=no_such_secret",
      "--",
      "sh",
      "-c",
      `touch ${marker}`,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("not started; cannot read:\n  no_such_secret (NOT_FOUND");
    await expect(access(marker)).rejects.toThrow();
  });
});

describe("run and signals", () => {
  it("forwards SIGTERM to the command, returns its exit code, and removes the files", async () => {
    const file = path.join(home, "sig", "pw.txt");
    const child = spawn(
      process.execPath,
      [
        BIN,
        "run",
        "--volume",
        `secret:secret-password:${file}`,
        "--",
        "sh",
        "-c",
        "trap 'exit 42' TERM; echo ready; while true; do sleep 0.1; done",
      ],
      {
        env: {
          PATH: process.env["PATH"] ?? "",
          HOME: home,
          COFFER_CONFIG_DIR: path.join(home, "cfg"),
        },
      },
    );
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    expect(await readFile(file, "utf8")).toBe("p@$$w0rd123");
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    expect(code).toBe(42);
    await expect(access(file)).rejects.toThrow();
  });
});

describe("tokens, users, teams, audit, gen", () => {
  it("token create/ls/disable/enable/rm with --json", async () => {
    const made = await coffer([
      "token",
      "create",
      "--name",
      "ci",
      "--expires",
      "30d",
      "--perm",
      "secret:secret-password",
    ]);
    expect(made.code).toBe(0);
    const tokens = JSON.parse((await coffer(["token", "ls", "--json"])).stdout) as {
      id: string;
      name: string;
      scopes: unknown[];
    }[];
    const ci = tokens.find((t) => t.name === "ci")!;
    expect(ci.scopes).toEqual([
      { resource: "secret://default/admin/secret-password", level: "read" },
    ]);
    expect(JSON.stringify(tokens)).not.toContain(made.stdout.trim());
    expect((await coffer(["token", "disable", ci.id])).code).toBe(0);
    expect((await coffer(["token", "enable", ci.id, "--expires", "7d"])).code).toBe(0);
    expect((await coffer(["token", "rm", ci.id])).code).toBe(0);
  });

  it("oidc create/ls/rm: a trust policy from --claim conditions; bad claims are usage errors", async () => {
    expect((await coffer(["team", "create", "deployers"])).code).toBe(0);
    const made = await coffer([
      "oidc",
      "create",
      "ci-deploy",
      "--audience",
      "https://coffer.example.test",
      "--claim",
      "repository=acme/app",
      "--claim",
      "ref=refs/heads/main",
      "--claim",
      "ref=refs/tags/v*",
      "--owner",
      "deployers",
      "--perm",
      "deployers/*=read",
      "--ttl",
      "10m",
    ]);
    expect(made.code, made.stderr).toBe(0);
    const listed = JSON.parse((await coffer(["oidc", "ls", "--json"])).stdout) as unknown[];
    expect(listed).toEqual([
      expect.objectContaining({
        identity: "ci-deploy",
        issuer: "https://token.actions.githubusercontent.com",
        conditions: { repository: "acme/app", ref: ["refs/heads/main", "refs/tags/v*"] },
        owner: "deployers",
        scopes: [{ resource: "secret://default/deployers/*", level: "read" }],
        tokenTtlSeconds: 600,
      }),
    ]);
    // PostgreSQL's jsonb keeps object keys in an order of its own.
    expect((await coffer(["oidc", "ls"])).stdout).toMatch(
      /ci-deploy .*deployers +600s +ref=refs\/heads\/main\|refs\/tags\/v\* repository=acme\/app/,
    );
    const bad = await coffer(["oidc", "create", "x", "--audience", "a", "--claim", "repository"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--claim repository: write NAME=PATTERN");
    const noPerm = await coffer([
      "oidc",
      "create",
      "x",
      "--audience",
      "a",
      "--claim",
      "repository=acme/app",
    ]);
    expect(noPerm.code).toBe(2);
    expect(noPerm.stderr).toContain("give the secrets it may use with --perm");
    const wide = await coffer(
      ["oidc", "create", "x", "--audience", "a", "--claim", "ref=refs/heads/main"].concat([
        "--perm",
        "deployers/*",
        "--owner",
        "deployers",
      ]),
    );
    expect(wide.code).toBe(1);
    expect(wide.stderr).toContain(
      "for GitHub's issuer, one condition must pin the repository's owner",
    );
    expect((await coffer(["oidc", "rm", "ci-deploy"])).code).toBe(0);
    expect(JSON.parse((await coffer(["oidc", "ls", "--json"])).stdout)).toEqual([]);
  });

  it("user enable, token ls --user, token create --for: a locked-out user comes back", async () => {
    const added = await coffer(["user", "add", "dana"]);
    expect(added.code, added.stderr).toBe(0);
    const asDana = (token: string) => ({
      env: { COFFER_URL: server.url, COFFER_TOKEN: token },
      configDir: path.join(home, "dana"),
    });
    const first = asDana(added.stdout.trim());
    expect((await coffer(["secret", "add", "diary", "fake-diary"], first)).code).toBe(0);
    expect((await coffer(["user", "disable", "dana"])).code).toBe(0);
    const enabled = await coffer(["user", "enable", "dana"]);
    expect(enabled.code, enabled.stderr).toBe(0);
    expect(enabled.stderr).toContain("Its tokens stay disabled: coffer token create --for dana");
    expect((await coffer(["secret", "get", "diary"], first)).code).toBe(1);

    const listed = await coffer(["token", "ls", "--user", "dana", "--json"]);
    expect(listed.code, listed.stderr).toBe(0);
    const tokens = JSON.parse(listed.stdout) as { owner: string; status: string }[];
    expect(tokens.map((t) => [t.owner, t.status])).toEqual([["dana", "disabled"]]);
    expect(listed.stdout).not.toContain(added.stdout.trim());

    const made = await coffer([
      "token",
      "create",
      "--for",
      "dana",
      "--name",
      "back",
      "--expires",
      "1d",
    ]);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stderr).toContain("for dana");
    const again = await coffer(["secret", "get", "diary"], asDana(made.stdout.trim()));
    expect(again.stdout).toBe("fake-diary");
    expect((await coffer(["token", "ls", "--user", "dana"])).stdout).toMatch(/back .* admin /);

    const both = await coffer([
      "token",
      "create",
      "--for",
      "dana",
      "--shared",
      "--name",
      "x",
      "--expires",
      "1d",
    ]);
    expect(both.code).toBe(2);
  });

  it("team create/add, user disable, audit ls --json and verify, gen", async () => {
    expect((await coffer(["team", "create", "ml"])).code).toBe(0);
    expect((await coffer(["user", "add", "carol"])).code).toBe(0);
    expect((await coffer(["team", "add", "ml", "carol", "--admin"])).stderr).toContain(
      "carol is an admin of ml",
    );
    expect((await coffer(["user", "disable", "carol"])).code).toBe(0);
    const events = JSON.parse(
      (await coffer(["audit", "ls", "--since", "1h", "--json"])).stdout,
    ) as { action: string }[];
    expect(events.map((e) => e.action)).toContain("secret.reveal");
    expect(JSON.stringify(events)).not.toContain("p@$$w0rd123");
    const verified = await coffer(["audit", "verify"]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/intact/);
    const head = /^Head: (\d+:[0-9a-f]{64}) /m.exec(verified.stdout)![1]!;
    expect((await coffer(["audit", "verify", "--expect-head", head])).code).toBe(0);
    const rewritten = await coffer([
      "audit",
      "verify",
      "--expect-head",
      `${head.split(":")[0]}:${"0".repeat(64)}`,
    ]);
    expect(rewritten.code).toBe(1);
    expect(rewritten.stdout).toMatch(/does not have the digest of the expected head/);
    expect((await coffer(["audit", "verify", "--expect-head", "12"])).code).toBe(2);
    const gen = await coffer(["gen", "--length", "20", "--exclude-punctuation"]);
    expect(gen.stdout).toMatch(/^[A-Za-z0-9]{20}$/);
  });
});
