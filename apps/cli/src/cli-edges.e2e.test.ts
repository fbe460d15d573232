/**
 * The built `coffer` binary at its edges, against a real server (PGlite in a temporary
 * directory): what `run` hands its command, a closed output, login's token input and address
 * checks, failures in the CLI's words, `--version`. Values and tokens are fake or made here.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { type CofferServer } from "@coffer/server";
import { freePort } from "@coffer/test-kit";
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

let server: CofferServer;
let started: TestServer | undefined;
let home: string;
let token: string;

const coffer = (args: string[], options?: RunOptions): Promise<Result> =>
  runCoffer(home, args, options);
const baseEnv = (configDir: string): Record<string, string> => cliEnv(home, configDir);

/** Waits for a child to end; resolves with its exit code and what it wrote on stderr. */
function ended(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stderr })));
}

const HAS_SCRIPT = existsSync("/usr/bin/script");

/**
 * Runs `coffer ARGS…` on a terminal (script(1) makes one), types `answer` and Enter once
 * `prompt` shows; returns what the terminal showed and the exit code.
 */
async function onTerminal(
  args: string[],
  prompt: string,
  answer: string,
  configDir: string,
): Promise<{ text: string; code: number | null }> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(" ");
  const child = spawn("/usr/bin/script", ["-qec", command, "/dev/null"], {
    env: { ...baseEnv(configDir), TERM: "dumb" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let text = "";
  let typed = false;
  child.stdout.on("data", (chunk: Buffer) => {
    text += chunk.toString();
    if (!typed && text.includes(prompt)) {
      typed = true;
      child.stdin.write(`${answer}\r`);
    }
  });
  const { code } = await ended(child);
  child.stdin.end();
  return { text, code };
}

beforeAll(async () => {
  started = await startTestServer("coffer-cli-edges-", { jobs: false });
  server = started.server;
  home = started.home;
  token = server.adminToken!;
  // The token piped on stdin, as the README shows for scripts.
  const login = await coffer(["login", "--url", server.url], { stdin: `${token}\n` });
  expect(login.code, login.stderr).toBe(0);
  expect(login.stdout + login.stderr).not.toContain(token);
  const many = await coffer(["secret", "add", "fake_edges", "-"], { stdin: "fake-edges-value" });
  expect(many.code, many.stderr).toBe(0);
});

afterAll(async () => {
  await started?.close();
});

describe("coffer run hands the command only what was asked for", () => {
  it("no COFFER_ variable of the caller reaches the command; --env still maps one explicitly", async () => {
    const env = {
      COFFER_URL: server.url,
      COFFER_TOKEN: token,
      COFFER_OTHER: "fake-other",
      KEPT_VARIABLE: "fake-kept",
    };
    const run = await coffer(["run", "--env", "MAPPED=fake_edges", "--", "env"], {
      env,
      configDir: path.join(home, "nobody"),
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain(token);
    const names = run.stdout
      .split("\n")
      .map((line) => line.split("=")[0]!)
      .filter((name) => name.startsWith("COFFER_"));
    expect(names).toEqual(["COFFER_SECRETS_DIR"]);
    expect(run.stdout).toContain("MAPPED=fake-edges-value\n");
    expect(run.stdout).toContain("KEPT_VARIABLE=fake-kept\n");

    const mapped = await coffer(["run", "--env", "COFFER_TOKEN=fake_edges", "--", "env"]);
    expect(mapped.stdout).toContain("COFFER_TOKEN=fake-edges-value\n");
  });
});

describe("a closed output ends a command quietly", () => {
  it.each([[["audit", "ls"]], [["secret", "ls", "--json"]], [["whoami"]], [["--help"]]])(
    "coffer %j with its reader gone: exit 0, nothing on stderr",
    async (args) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        env: baseEnv(path.join(home, "cfg")),
        stdio: ["ignore", "pipe", "pipe"],
      });
      // The reader goes away before the first line: every write meets a closed pipe.
      child.stdout.destroy();
      const { code, stderr } = await ended(child);
      expect(stderr).toBe("");
      expect(code).toBe(0);
    },
  );
});

describe("login", () => {
  it("reads the token from stdin (with or without --token -), or COFFER_TOKEN, never printing it", async () => {
    const dir = path.join(home, "login-stdin");
    const piped = await coffer(["login", "--url", server.url, "--token", "-"], {
      stdin: token,
      configDir: dir,
    });
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).toContain(`Logged in to ${server.url} as admin`);
    expect(piped.stdout + piped.stderr).not.toContain(token);
    expect(JSON.parse(await readFile(path.join(dir, "config.json"), "utf8"))).toEqual({
      url: server.url,
      token,
    });
    const bare = await coffer(["login", "--url", server.url], {
      stdin: `${token}\n`,
      configDir: path.join(home, "login-bare"),
    });
    expect(bare.code, bare.stderr).toBe(0);
    expect(bare.stdout + bare.stderr).not.toContain(token);
    const fromEnv = await coffer(["login"], {
      env: { COFFER_URL: server.url, COFFER_TOKEN: token },
      configDir: path.join(home, "login-env"),
    });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    const none = await coffer(["login", "--url", server.url], {
      configDir: path.join(home, "login-none"),
    });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^coffer: login needs a token\n/);
  });

  it.skipIf(!HAS_SCRIPT)("asks for the token on a terminal without showing it", async () => {
    const dir = path.join(home, "login-tty");
    const shown = await onTerminal(["login", "--url", server.url], "(not shown): ", token, dir);
    expect(shown.text).toContain(`Token for ${server.url} (not shown): `);
    expect(shown.text).toContain(`Logged in to ${server.url} as admin`);
    expect(shown.text).not.toContain(token);
    expect(shown.code).toBe(0);
    expect(JSON.parse(await readFile(path.join(dir, "config.json"), "utf8"))).toMatchObject({
      token,
    });
  });

  it.skipIf(!HAS_SCRIPT)(
    "secret add NAME - asks for the value on a terminal, unechoed",
    async () => {
      const shown = await onTerminal(
        ["secret", "add", "fake_typed", "-"],
        "Value (not shown): ",
        "fake-typed-value",
        path.join(home, "cfg"),
      );
      expect(shown.code).toBe(0);
      expect(shown.text).not.toContain("fake-typed-value");
      expect((await coffer(["secret", "get", "fake_typed"])).stdout).toBe("fake-typed-value");
    },
  );

  it("says what to do with an address without a scheme, with nothing listening, or not Coffer", async () => {
    const dir = path.join(home, "login-bad");
    const noScheme = await coffer(["login", "--url", "127.0.0.1:7700"], {
      stdin: token,
      configDir: dir,
    });
    expect(noScheme.code).toBe(2);
    expect(noScheme.stderr).toMatch(
      /^coffer: --url 127\.0\.0\.1:7700: a server address starts with http:\/\/ or https:\/\/ \(e\.g\. http:\/\/127\.0\.0\.1:7700\)\n/,
    );

    const port = await freePort();
    const nothing = await coffer(["login", "--url", `http://127.0.0.1:${port}`], {
      stdin: token,
      configDir: dir,
    });
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toBe(
      `coffer: nothing answers at http://127.0.0.1:${port} (connection refused): is the Coffer server running? (\`npx -y pnpm@10 start\` in the repository starts one)\n`,
    );

    const other: Server = createServer((_req, res) => {
      res.writeHead(404, { "content-type": "text/html" });
      res.end("<!DOCTYPE html><html><body>Not Found</body></html>");
    });
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    try {
      const notCoffer = await coffer(["login", "--url", otherUrl], {
        stdin: token,
        configDir: dir,
      });
      expect(notCoffer.code).toBe(1);
      expect(notCoffer.stderr).toMatch(
        new RegExp(
          `^coffer: ${otherUrl} answered.*, but not as a Coffer server: check the address`,
        ),
      );
      // The same words for any command, with the address from COFFER_URL.
      const ls = await coffer(["secret", "ls"], {
        env: { COFFER_URL: `${server.url}/not-here`, COFFER_TOKEN: token },
        configDir: dir,
      });
      expect(ls.stderr).toContain(
        `${server.url}/not-here answered (HTTP 404), but not as a Coffer server`,
      );
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
    for (const r of [noScheme, nothing]) {
      expect(r.stderr).not.toMatch(/INTERNAL_SERVER_ERROR|fetch failed|tRPC|JSON/);
    }
    expect(existsSync(path.join(dir, "config.json"))).toBe(false);
  });
});

describe("errors in the CLI's words", () => {
  it.each([
    [["token", "disable", "foo"], /^coffer: INVALID_REQUEST: ID must be a token id: tok_ and 16/],
    [
      ["token", "enable", "tok_short", "--expires", "30d"],
      /^coffer: INVALID_REQUEST: ID must be a token id/,
    ],
    [
      ["token", "create", "--name", "fake", "--expires", "99999d"],
      /^coffer: INVALID_REQUEST: --expires must be at most \d+ days\n$/,
    ],
    [
      ["token", "enable", "tok_aaaaaaaaaaaaaaaa", "--expires", "0d"],
      /^coffer: INVALID_REQUEST: --expires must be at least 1 minute\n$/,
    ],
    [
      ["secret", "rm", "fake_edges", "--recovery-days", "3"],
      /^coffer: INVALID_REQUEST: --recovery-days must be at least 7\n$/,
    ],
    [["user", "add", "Bad!"], /^coffer: INVALID_REQUEST: NAME must be a name of lowercase letters/],
    [
      ["share", "secret:fake_edges", "bad!"],
      /^coffer: INVALID_REQUEST: USER\|TEAM must be a name of lowercase letters/,
    ],
  ])("coffer %j", async (args, message) => {
    const result = await coffer(args);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/pattern|\^|Seconds|recoveryDays|instancePath| at \//);
  });

  it("--version prints the package's version", async () => {
    const { version } = JSON.parse(
      await readFile(new URL("../package.json", import.meta.url), "utf8"),
    ) as { version: string };
    const result = await coffer(["--version"]);
    expect(result).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });
});
