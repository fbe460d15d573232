/**
 * `pnpm start`'s first-start notices, with the built server (`dist/main.js`) run as a child
 * process: stdout carries pino's JSON lines only, and the one-time admin token goes to stderr,
 * never into the JSON stream.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";

vi.setConfig({ testTimeout: 180_000 });

const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const TOKEN_RE = /cft_[0-9A-Za-z]{20,}/;

const cleanup: string[] = [];
afterEach(async () => {
  for (const dir of cleanup.splice(0)) await rm(dir, { recursive: true, force: true });
});

/**
 * Starts `command` with stdout and stderr captured apart, in a session of its own (setsid:
 * no controlling terminal), until `done(stdout, stderr)` holds; then stops it with SIGTERM.
 */
async function startUntil(
  command: string,
  args: string[],
  env: Record<string, string>,
  done: (out: string, err: string) => boolean,
): Promise<{ out: string; err: string }> {
  const child = spawn(command, args, {
    env: { PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  let err = "";
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (done(out, err)) resolve();
    };
    child.stdout.on("data", (c: Buffer) => ((out += c.toString()), check()));
    child.stderr.on("data", (c: Buffer) => ((err += c.toString()), check()));
    child.on("exit", (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  const exited = new Promise((resolve) => child.on("close", resolve));
  child.kill("SIGTERM");
  await exited;
  return { out, err };
}

async function serverEnv(): Promise<Record<string, string>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "coffer-main-"));
  cleanup.push(dir);
  return { COFFER_DATA_DIR: path.join(dir, "data"), COFFER_PORT: "0" };
}

describe("the first start's admin token", () => {
  it("without a terminal: on stderr, framed; stdout holds JSON lines only, none with the token", async () => {
    const env = await serverEnv();
    const { out, err } = await startUntil(
      process.execPath,
      [MAIN],
      env,
      // Done once the notice is out, wherever it went (before the fix: on stdout).
      (o, e) => /Log in with: coffer login/.test(o + e) && /irst start/.test(o),
    );
    const token = TOKEN_RE.exec(err + out)![0];
    expect(err).toContain(`shown only this once:\n\n  ${token}\n`);
    expect(err).toContain("(mode 0600). Back it up");
    expect(out).not.toMatch(/cft_/);
    const lines = out.trim().split("\n");
    for (const line of lines) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
    expect(out).toContain("its token was shown on stderr only");
  });
});
