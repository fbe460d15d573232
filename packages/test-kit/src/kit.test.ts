import { writeFile } from "node:fs/promises";
import path from "node:path";
import { CofferError } from "@coffer/core";
import { afterEach, describe, expect, it } from "vitest";
import {
  countingProxy,
  eventually,
  refusal,
  refusalOf,
  spawnNode,
  startEchoUpstream,
  startTcpProxy,
  tempDir,
  type Echo,
  type TempDir,
} from "./index.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function scratch(): Promise<TempDir> {
  const dir = await tempDir("coffer-test-kit-");
  cleanups.push(dir.remove);
  return dir;
}

describe("spawnNode", () => {
  it("waits for the ready line, collects the output, and stops the child", async () => {
    const { dir } = await scratch();
    const main = path.join(dir, "child.mjs");
    await writeFile(
      main,
      `console.log("ready on " + process.env.WORD); setInterval(() => {}, 1000);`,
    );
    const child = await spawnNode(main, { env: { WORD: "fake-word" }, ready: [/ready on (\S+)/] });
    expect(child.matches).toEqual(["fake-word"]);
    expect(child.alive()).toBe(true);
    await child.stop();
    expect(child.alive()).toBe(false);
    expect(child.exit()).toContain("SIGTERM");
  });

  it("fails with the output when the child exits before it is ready", async () => {
    const { dir } = await scratch();
    const main = path.join(dir, "child.mjs");
    await writeFile(main, `console.error("no luck"); process.exit(3);`);
    await expect(spawnNode(main, { ready: [/never/] })).rejects.toThrow(
      /exited while starting:\nno luck/,
    );
  });

  it("fails when the child cannot start at all", async () => {
    const { dir } = await scratch();
    await expect(
      spawnNode(path.join(dir, "x.mjs"), { cwd: path.join(dir, "missing"), ready: [/never/] }),
    ).rejects.toThrow(/ENOENT/);
  });
});

describe("tempDir", () => {
  it("makes a directory and removes it", async () => {
    const made = await tempDir("coffer-test-kit-");
    await writeFile(path.join(made.dir, "f"), "x");
    await made.remove();
    await expect(writeFile(path.join(made.dir, "f"), "x")).rejects.toThrow(/ENOENT/);
  });
});

describe("the echo upstream and the proxies", () => {
  it("echoes a request through a counting HTTP proxy and a TCP proxy", async () => {
    const upstream = await startEchoUpstream();
    cleanups.push(upstream.close);
    const tcp = await startTcpProxy({
      host: "127.0.0.1",
      port: Number(new URL(upstream.url).port),
    });
    cleanups.push(tcp.close);
    const http = await countingProxy(`http://127.0.0.1:${tcp.port}`);
    cleanups.push(http.close);
    const response = await fetch(`${http.url}/a/b?c=d`, {
      method: "POST",
      headers: { "x-fake": "1", "content-type": "application/json" },
      body: JSON.stringify({ n: 1 }),
    });
    const echo = (await response.json()) as Echo;
    expect(echo).toMatchObject({
      method: "POST",
      url: "/a/b?c=d",
      body: '{"n":1}',
      json: { n: 1 },
    });
    expect(echo.headers["x-fake"]).toBe("1");
    expect(http.requests).toEqual(["POST /a/b"]);
    expect(tcp.accepted).toBe(1);
    await tcp.down();
    await expect(fetch(`http://127.0.0.1:${tcp.port}/`)).rejects.toThrow();
    await tcp.up();
    expect((await fetch(`http://127.0.0.1:${tcp.port}/`)).status).toBe(200);
  });
});

describe("refusal", () => {
  const refused = new CofferError("NOT_FOUND", "no such fake secret");

  it("returns the CofferError, or the one it wraps", async () => {
    expect(await refusal(Promise.reject(refused))).toBe(refused);
    expect(await refusal(Promise.reject(new Error("wrapped", { cause: refused })))).toBe(refused);
    expect(
      refusalOf(() => {
        throw refused;
      }),
    ).toBe(refused);
  });

  it("fails on success and on other errors (unless converted)", async () => {
    await expect(refusal(Promise.resolve(1))).rejects.toThrow(/succeeded/);
    await expect(refusal(Promise.reject(new Error("other")))).rejects.toThrow("other");
    expect(await refusal(Promise.reject(new Error("other")), () => refused)).toBe(refused);
    expect(() => refusalOf(() => 1)).toThrow(/returned/);
  });
});

describe("eventually", () => {
  it("returns what the probe found, and names what did not come", async () => {
    let calls = 0;
    expect(
      await eventually("a third call", () => (++calls === 3 ? calls : undefined), {
        intervalMs: 1,
      }),
    ).toBe(3);
    await expect(
      eventually("nothing", () => undefined, { timeoutMs: 20, intervalMs: 5 }),
    ).rejects.toThrow("nothing: not within 20 ms");
  });
});
