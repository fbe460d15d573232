/**
 * The gateway used from another project, as the README shows it: @coffer/core, @coffer/client
 * and @coffer/gateway packed with `pnpm pack` (which rewrites `workspace:*` to versions), then
 * installed with npm from those tarballs into a fresh project under the OS's temporary
 * directory, outside the workspace, so nothing resolves from it. The README's `server.mjs` runs
 * there with plain `node` against a real Coffer server and forwards to an echo upstream.
 *
 * npm takes the three tarballs from the command line and the third-party dependencies (express,
 * @trpc/client, ajv…) from its cache, asking the registry only for what the cache lacks
 * (`--prefer-offline`): `--offline` alone fails on a machine whose npm cache is new.
 */
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  spawnNode,
  startEchoUpstream,
  tempDir,
  type Echo,
  type Listening,
  type NodeChild,
  type TempDir,
} from "@coffer/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientFor, spawnServer, type ServerProcess } from "./test-processes.js";

const run = promisify(execFile);
const OPENAI_KEY = "fake-openai-key-packed-0001";
const PACKAGES = ["core", "client", "gateway"] as const;
/** packages/ in the workspace: this file is packages/gateway/src/e2e/packed.test.ts. */
const PACKAGES_DIR = fileURLToPath(new URL("../../../", import.meta.url));
const README = fileURLToPath(new URL("../../../../README.md", import.meta.url));
const README_HEADING = "### The gateway in another project";

/** The first ```js block after the README's heading for this (the lead's README holds it). */
async function readmeExample(): Promise<string> {
  const readme = await readFile(README, "utf8");
  const section = readme.indexOf(`\n${README_HEADING}\n`);
  if (section < 0) throw new Error(`README.md has no "${README_HEADING}" section`);
  const block = /```js\n([\s\S]*?)```/.exec(readme.slice(section));
  if (block === null) throw new Error(`no js block after "${README_HEADING}" in README.md`);
  return block[1]!;
}

/** The environment without pnpm's npm_* settings (a user's npm would not see them). */
function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith("npm_")),
  );
}

describe("the packed packages in a project outside the workspace", () => {
  let tarballs: TempDir;
  let project: TempDir;
  let data: TempDir;
  let server: ServerProcess;
  let upstream: Listening;
  let example: NodeChild | undefined;
  const packed: Record<string, string> = {};

  beforeAll(async () => {
    tarballs = await tempDir("gw-packed-tgz-");
    project = await tempDir("gw-packed-project-");
    data = await tempDir("gw-packed-server-");
    for (const name of PACKAGES) {
      const { stdout } = await run("pnpm", ["pack", "--pack-destination", tarballs.dir], {
        cwd: path.join(PACKAGES_DIR, name),
      });
      const tarball = stdout.trim().split("\n").at(-1)!;
      expect(tarball).toMatch(new RegExp(`coffer-${name}-[0-9.]+\\.tgz$`));
      packed[name] = tarball;
    }
    await writeFile(
      path.join(project.dir, "package.json"),
      JSON.stringify({ name: "my-gateway", private: true, type: "module" }),
    );
    await run(
      "npm",
      [
        "install",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        ...PACKAGES.map((name) => packed[name]!),
        "express@5",
      ],
      { cwd: project.dir, env: npmEnv() },
    );
    server = await spawnServer({ dataDir: data.dir, expectToken: true });
    const admin = clientFor(server.url, server.adminToken!);
    await admin.team.create.mutate({ name: "ml" });
    await admin.secret.create.mutate({ secret: "ml/openai_key", value: OPENAI_KEY });
    upstream = await startEchoUpstream();
  });

  afterAll(async () => {
    await example?.stop();
    await upstream?.close();
    await server?.stop();
    for (const dir of [tarballs, project, data]) await dir?.remove();
  });

  it("holds what an installer needs and no workspace-only reference", async () => {
    for (const name of PACKAGES) {
      const { stdout } = await run("tar", ["-xzOf", packed[name]!, "package/package.json"]);
      expect(stdout).not.toContain("workspace:");
      const manifest = JSON.parse(stdout) as { exports: unknown; types: string };
      expect(manifest.exports).toEqual({
        ".": { types: "./dist/index.d.ts", import: "./dist/index.js" },
      });
      const { stdout: listing } = await run("tar", ["-tzf", packed[name]!]);
      const files = listing.trim().split("\n");
      expect(files).toContain("package/dist/index.js");
      expect(files).toContain("package/dist/index.d.ts");
      // Only the build and the sources its maps point at: no tests, no configs, no caches.
      expect(files.filter((file) => /test|e2e|tsconfig|\.turbo/.test(file))).toEqual([]);
    }
  });

  it("installs from the tarballs: the three packages import with plain node", async () => {
    const { stdout } = await run(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        [
          'const gateway = await import("@coffer/gateway");',
          'const client = await import("@coffer/client");',
          'console.log(typeof gateway.coffer, typeof client.createCofferClient, import.meta.resolve("@coffer/core"));',
        ].join("\n"),
      ],
      { cwd: project.dir, env: { PATH: process.env["PATH"] } },
    );
    const [coffer, createClient, core] = stdout.trim().split(" ");
    expect([coffer, createClient]).toEqual(["function", "function"]);
    expect(fileURLToPath(core!)).toBe(
      path.join(project.dir, "node_modules", "@coffer", "core", "dist", "index.js"),
    );
  });

  it("runs the README's server.mjs: the key arrives upstream, never in its output", async () => {
    await writeFile(path.join(project.dir, "server.mjs"), await readmeExample());
    example = await spawnNode("server.mjs", {
      cwd: project.dir,
      env: {
        COFFER_URL: server.url,
        COFFER_TOKEN: server.adminToken!,
        UPSTREAM: upstream.url,
        PORT: "0",
      },
      ready: [/listening on (http:\/\/\S+)/],
    });
    const response = await fetch(`${example.matches[0]}/openai/v1/models`);
    expect(response.status).toBe(200);
    const echo = (await response.json()) as Echo;
    expect(echo.url).toBe("/v1/models");
    expect(echo.headers["authorization"]).toBe(`Bearer ${OPENAI_KEY}`);
    expect(example.output()).not.toContain(OPENAI_KEY);
  });
});
