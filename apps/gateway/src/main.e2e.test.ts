/** The built CLI (dist/main.js) run as a user runs it: a proxied request, then a bad config. */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEchoUpstream, type Echo, type EchoUpstream } from "@coffer/test-kit";

const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const API_KEY = "fake-api-key-0001";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe("coffer-gateway (dist/main.js)", () => {
  let dir: string;
  let upstream: EchoUpstream;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build the app first`);
    dir = await mkdtemp(path.join(tmpdir(), "gw-e2e-"));
    upstream = await startEchoUpstream();
  });
  afterAll(async () => {
    await upstream?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("proxies with injected headers, stops on SIGTERM; a bad config exits 2 naming the field", async () => {
    const good = path.join(dir, "gateway.json");
    await writeFile(
      good,
      JSON.stringify({
        listen: { port: 0 },
        env: { prefix: "GW_" },
        // Outside the config's folder, and text that may be meant: warnings, it still starts.
        file: { root: `${dir}-secrets` },
        routes: [
          {
            path: "/openai",
            upstream: `${upstream.url}/v1`,
            headers: { authorization: "Bearer {vault://env/api-key}", "x-note": "vault://x" },
          },
        ],
      }),
    );
    const child = spawn(process.execPath, [MAIN, good], {
      env: { PATH: process.env["PATH"], GW_API_KEY: API_KEY, LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /"url":"(http:\/\/[^"]+)"/.exec(stdout);
        if (match) resolve(match[1]!);
      });
      void exited.then(() => reject(new Error(`exited early: ${stderr}`)));
    });

    const response = await fetch(`${url}/openai/models`);
    expect(response.status).toBe(200);
    const echo = (await response.json()) as Echo;
    expect(echo.url).toBe("/v1/models");
    expect(echo.headers["authorization"]).toBe(`Bearer ${API_KEY}`);

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(stdout).toContain('"path":"/openai/models"');
    const warnings = stdout
      .split("\n")
      .filter((line) => line.includes('"level":40'))
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(warnings).toEqual([
      `${good}: /routes/0/headers/x-note: character 1: "vault://" without "{" is not a reference (write {vault://…}); if it is meant as text, ignore this`,
      `${good}: /file/root: ${dir}-secrets is outside the config file's folder (${dir}); make sure it holds only the gateway's secrets`,
    ]);
    expect(stdout + stderr).not.toContain(API_KEY);

    const bad = path.join(dir, "bad.json");
    await writeFile(
      bad,
      JSON.stringify({ routes: [{ path: "/a", upstream: "not a url", header: {} }] }),
    );
    const run = await runToExit([MAIN, bad]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split("\n")).toEqual([
      `${bad}: /routes/0: unknown field "header"; did you mean "headers"?`,
      `${bad}: /routes/0/upstream: must match format "http-url"`,
    ]);
    // What is checked once the file has the right shape: a mistyped reference, a root at "/".
    await writeFile(
      bad,
      JSON.stringify({
        env: {},
        file: { root: "/" },
        routes: [{ path: "/a", upstream: "http://x", headers: { "x-k": "{vault:/env/k}" } }],
      }),
    );
    const typo = await runToExit([MAIN, bad]);
    expect(typo.code).toBe(2);
    expect(typo.stderr.trim().split("\n")).toEqual([
      `${bad}: /routes/0/headers/x-k: character 1: "{vault:/" looks like a mistyped reference: a reference starts with "{vault://"`,
      `${bad}: /file/root: / is the file system's root: every file under the root can be referenced; use a folder that holds only the gateway's secrets`,
    ]);
    expect(run.stdout).toBe("");
  });
});

function runToExit(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      env: { PATH: process.env["PATH"] },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}
