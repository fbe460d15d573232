/**
 * The secret commands' forms (issue 16): Neu.ro's `secret ls` KEY column and quiet `add`/`rm`,
 * `@~/file`, values that are not UTF-8, the pending stage and `promote`, `edit`, `where-used`,
 * the "did you mean OWNER/NAME?" hint, completion scripts, and dotenv import/export as the
 * `dotenv` package reads them. The built `coffer` against a real server; values are fake.
 */
import { execFile, execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "dotenv";
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

/** zsh and fish are not everywhere: their scripts are run where they are installed. */
const installed = (shell: string): boolean => {
  try {
    execFileSync(shell, ["-c", "exit 0"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

let started: TestServer | undefined;
let home: string;
let bobEnv: Record<string, string>;

function coffer(args: string[], options?: RunOptions): Promise<Result> {
  return runCoffer(home, args, options);
}

async function ok(args: string[], options?: RunOptions): Promise<Result> {
  const result = await coffer(args, options);
  expect(result.code, `coffer ${args.join(" ")}: ${result.stderr}`).toBe(0);
  return result;
}

/** A script in bash (or another shell); `$CLI_NODE $CLI_BIN` runs the built CLI. */
function inBash(script: string, shell = "bash"): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      shell,
      ["-c", script],
      { env: { ...cliEnv(home), CLI_NODE: process.execPath, CLI_BIN: BIN }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === "number" ? error.code : 1) : 0,
          stdout,
          stderr,
        }),
    );
  });
}

beforeAll(async () => {
  started = await startTestServer("coffer-cli-forms-", { jobs: false });
  home = started.home;
  await ok(["login", "--url", started.server.url, "--token", started.server.adminToken!]);
  const bob = await ok(["user", "add", "bob"]);
  bobEnv = {
    COFFER_URL: started.server.url,
    COFFER_TOKEN: bob.stdout.trim(),
    COFFER_CONFIG_DIR: path.join(home, "bob"),
  };
});

afterAll(async () => {
  await started?.close();
});

describe("Neu.ro's forms", () => {
  it("add and rm say nothing when all is well; @~/file reads from HOME; ls --owner has KEY", async () => {
    await writeFile(path.join(home, "fake-key.txt"), "fake-from-home\n");
    const added = await ok(["secret", "add", "home-file", "@~/fake-key.txt"]);
    expect([added.stdout, added.stderr]).toStrictEqual(["", ""]);
    expect((await ok(["secret", "get", "home-file"])).stdout).toBe("fake-from-home\n");

    const ls = await ok(["secret", "ls", "--owner", "admin"]);
    expect(ls.stdout).toMatch(/^KEY\s+STATUS\s+VERSION/);
    expect(ls.stdout).toMatch(/\nhome-file\s+enabled\s+1\s/);
    const listed: unknown = JSON.parse(
      (await ok(["secret", "ls", "--owner", "admin", "--json"])).stdout,
    );
    expect(listed).toContainEqual(expect.objectContaining({ name: "home-file", owner: "admin" }));

    const removed = await ok(["secret", "rm", "home-file"]);
    expect([removed.stdout, removed.stderr]).toStrictEqual(["", ""]);
    expect((await ok(["secret", "describe", "home-file"])).stdout).toMatch(
      /status:\s+pending_deletion/,
    );
  });

  it("a value that is not UTF-8 is refused, from @FILE and from -, and nothing is stored", async () => {
    const file = path.join(home, "latin1.bin");
    await writeFile(file, Buffer.from([0x66, 0x61, 0x6b, 0x65, 0xe9, 0xff]));
    const fromFile = await coffer(["secret", "add", "latin1", `@${file}`]);
    expect(fromFile.code).toBe(1);
    expect(fromFile.stderr).toBe(
      `coffer: ${file} is not UTF-8 text: a secret value is text (encode binary data, e.g. with base64)\n`,
    );
    const fromStdin = await inBash(`printf 'fake\\xff' | $CLI_NODE $CLI_BIN secret add latin1 -`);
    expect(fromStdin.code).toBe(1);
    expect(fromStdin.stderr).toMatch(/^coffer: standard input is not UTF-8 text: /);
    const missing = await coffer(["secret", "describe", "latin1"]);
    expect(missing.stderr).toMatch(/^coffer: NOT_FOUND: /);
  });
});

describe("stages, description, where-used", () => {
  it("rotate --pending stores a version beside the current one; promote makes it current", async () => {
    await ok(["secret", "add", "staged", "-"], { stdin: "fake-one" });
    const pending = await ok(["secret", "rotate", "staged", "-", "--pending"], {
      stdin: "fake-two",
    });
    expect(pending.stderr).toBe(
      "Stored secret://default/admin/staged version 2 as pending: `coffer secret promote` makes it current\n",
    );
    expect((await ok(["secret", "get", "staged"])).stdout).toBe("fake-one");
    expect((await ok(["secret", "get", "staged", "--stage", "pending"])).stdout).toBe("fake-two");

    const promoted = await ok(["secret", "promote", "staged"]);
    expect(promoted.stderr).toBe("secret://default/admin/staged: version 2 is current\n");
    expect((await ok(["secret", "get", "staged"])).stdout).toBe("fake-two");
    const meta: unknown = JSON.parse((await ok(["secret", "describe", "staged", "--json"])).stdout);
    expect(meta).toMatchObject({ currentVersion: 2, previousVersion: 1, pendingVersion: null });

    const none = await coffer(["secret", "promote", "staged"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(
      "coffer: secret://default/admin/staged has no pending version: `coffer secret rotate NAME VALUE --pending` stores one\n",
    );
    await ok(["secret", "promote", "staged", "--version", "1", "--to", "current"]);
    expect((await ok(["secret", "get", "staged"])).stdout).toBe("fake-one");
    const bad = await coffer(["secret", "promote", "staged", "--to", "later"]);
    expect([bad.code, bad.stderr.split("\n")[0]]).toStrictEqual([
      2,
      "coffer: --to is current, previous or pending",
    ]);
  });

  it("edit --description sets and clears the description", async () => {
    await ok(["secret", "add", "described", "fake-value"]);
    const set = await ok(["secret", "edit", "described", "--description", "payments API (fake)"]);
    expect(set.stderr).toBe("secret://default/admin/described: description set\n");
    const meta: unknown = JSON.parse(
      (await ok(["secret", "describe", "described", "--json"])).stdout,
    );
    expect(meta).toMatchObject({ description: "payments API (fake)" });
    await ok(["secret", "edit", "described", "--description", ""]);
    expect((await ok(["secret", "describe", "described"])).stdout).toMatch(/description:\s+-\n/);
    expect((await coffer(["secret", "edit", "described"])).code).toBe(2);
  });

  it("where-used lists who read it, as a table and as JSON", async () => {
    await ok(["secret", "add", "read-me", "fake-value"]);
    expect((await ok(["secret", "where-used", "read-me"])).stdout).toBe(
      "Nobody read read-me in the last 30 days\n",
    );
    await ok(["secret", "get", "read-me"]);
    await ok(["secret", "get", "read-me"]);
    const text = await ok(["secret", "where-used", "read-me"]);
    expect(text.stdout).toMatch(/^ACTOR\s+TOKEN\s+READS\s+LAST READ\n/);
    expect(text.stdout).toMatch(/\nadmin\s+\S+\s+2\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n/);
    const rows: unknown = JSON.parse(
      (await ok(["secret", "where-used", "read-me", "--json"])).stdout,
    );
    expect(rows).toStrictEqual([expect.objectContaining({ actor: "admin", reads: 2 })]);
  });
});

describe("secret get NAME hints at a secret of that name shared with the caller", () => {
  it("did you mean OWNER/NAME?", async () => {
    await ok(["secret", "add", "shared-db", "fake-value"]);
    await ok(["share", "secret:shared-db", "bob"]);
    const asBob = await coffer(["secret", "get", "shared-db"], { env: bobEnv });
    expect(asBob.code).toBe(1);
    expect(asBob.stderr).toMatch(/^coffer: NOT_FOUND: .*\(did you mean admin\/shared-db\?\)\n$/);
    expect(asBob.stderr.split("\n")).toHaveLength(2);
    const unknown = await coffer(["secret", "get", "nothing-like-it"], { env: bobEnv });
    expect(unknown.stderr).not.toContain("did you mean");
    const right = await coffer(["secret", "get", "admin/shared-db"], { env: bobEnv });
    expect(right.stdout).toBe("fake-value");
  });
});

describe("completion and help", () => {
  it("the bash script completes commands and options from the program's tree", async () => {
    const complete = (words: string[]) =>
      inBash(
        `eval "$($CLI_NODE $CLI_BIN completion bash)"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); ` +
          `COMP_CWORD=${words.length - 1}; _coffer_completion; printf '%s\\n' "\${COMPREPLY[@]}"`,
      );
    expect((await complete(["coffer", "sec"])).stdout).toBe("secret\n");
    expect((await complete(["coffer", "secret", "pro"])).stdout).toBe("promote\n");
    expect((await complete(["coffer", "secret", "rotate", "db", "--pe"])).stdout).toBe(
      "--pending\n",
    );
    expect((await complete(["coffer", "completion", ""])).stdout.trim()).toBe("");
    const all = (await complete(["coffer", ""])).stdout.split("\n");
    expect(all).toEqual(expect.arrayContaining(["secret", "share", "run", "completion"]));
  });

  it.skipIf(!installed("zsh"))("the zsh script completes the same way", async () => {
    // compadd and _files stand in for zsh's completion system: they print what is offered.
    const offered = await inBash(
      'compdef() { :; }; _files() { print FILES; }; compadd() { shift; print -l -- "$@"; }; ' +
        'eval "$($CLI_NODE $CLI_BIN completion zsh)"; words=(coffer secret rotate db --pe); CURRENT=5; _coffer; ' +
        'words=(coffer secret add db ""); CURRENT=5; _coffer',
      "zsh",
    );
    expect(offered.stdout).toContain("\n--pending\n");
    expect(offered.stdout).toMatch(/\nFILES\n$/);
  });

  it.skipIf(!installed("fish"))("the fish script completes with descriptions", async () => {
    const offered = await inBash(
      'source ($CLI_NODE $CLI_BIN completion fish | psub); complete -C"coffer secret pro"; complete -C"coffer sec"',
      "fish",
    );
    expect(offered.stdout).toMatch(/^promote\tmake the pending version current/);
    expect(offered.stdout).toContain("\nsecret\tkeep, read and manage secrets\n");
  });

  it("zsh and fish scripts cover the same tree; another shell is a usage error", async () => {
    const zsh = await ok(["completion", "zsh"]);
    expect(zsh.stdout).toMatch(/^#compdef coffer\n/);
    expect(zsh.stdout).toContain('"secret") echo "add ls get');
    const fish = await ok(["completion", "fish"]);
    expect(fish.stdout).toContain(
      "complete -c coffer -f -n '__coffer_at \\'secret\\'' -a 'promote' -d 'make the pending version current",
    );
    const ksh = await coffer(["completion", "ksh"]);
    expect([ksh.code, ksh.stderr]).toStrictEqual([
      2,
      "coffer: the shell is bash, zsh or fish\nusage: coffer completion bash|zsh|fish\n",
    ]);
  });

  it("--help of secret, secret add and completion shows examples", async () => {
    for (const args of [["secret"], ["secret", "add"], ["secret", "promote"], ["completion"]]) {
      const help = await coffer([...args, "--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/\nExamples.*:\n {2}(coffer|eval)/);
    }
  });
});

describe("dotenv import and export, as the dotenv package reads them", () => {
  it("imports CRLF, `KEY: value` and quoted lines; reports only the line dotenv skips", async () => {
    const file = path.join(home, "fake.env");
    await writeFile(
      file,
      "FAKE_A=one\r\nFAKE_B: two\r\nnot a line\r\nFAKE_C='three\r\nlines'\r\nexport FAKE_D=\"four\"\r\n",
    );
    const imported = await coffer(["secret", "import", file, "--owner", "admin"]);
    expect(imported.code).toBe(1);
    expect(imported.stderr).toBe(
      `${file}:3: not KEY=VALUE, skipped\nFAKE_A: added\nFAKE_B: added\nFAKE_C: added\nFAKE_D: added\n` +
        "4 added, 0 rotated, 0 skipped, 1 failed\n",
    );
    expect((await ok(["secret", "get", "FAKE_B"])).stdout).toBe("two");
    expect((await ok(["secret", "get", "FAKE_C"])).stdout).toBe("three\nlines");
  });

  it("exports quotes, backticks and CRs in forms dotenv reads back; one it cannot hold is named", async () => {
    await ok(["team", "create", "exports"]);
    const values: Record<string, string> = {
      APOSTROPHE: "it's fake",
      DOUBLE: 'say "fake"',
      ALL_QUOTES: `it's "fake" \`really\``,
      CARRIAGE: "fake\r\nvalue\r",
      MULTI: "line one\nline two",
    };
    for (const [name, value] of Object.entries(values))
      await ok(["secret", "add", name, "-", "--owner", "exports"], { stdin: value });
    const exported = await ok(["secret", "export", "--owner", "exports"]);
    expect(parse(exported.stdout)).toStrictEqual(values);

    await ok(["secret", "add", "NO_FORM", "-", "--owner", "exports"], {
      stdin: 'fake "x" #1\r',
    });
    const partial = await coffer(["secret", "export", "--owner", "exports"]);
    expect(partial.code).toBe(1);
    expect(partial.stderr).toBe(
      "NO_FORM: dotenv has no form for this value, skipped (--format json holds it)\n",
    );
    expect(parse(partial.stdout)).toStrictEqual(values);
  });
});
