import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, checkConfig, loadConfigFile } from "./config.js";

const good = {
  listen: { host: "127.0.0.1", port: 8080 },
  coffer: { url: "http://127.0.0.1:7700", timeoutMs: 5000, feed: true },
  cache: { ttl: 60, negTtl: 10, resurrectTtl: 300, max: 10000 },
  env: { prefix: "GW_" },
  file: { root: "secrets" },
  incoming: { allow: [] },
  metricsPath: "/-/metrics",
  routes: [
    {
      path: "/openai",
      upstream: "http://127.0.0.1:9000/v1",
      stripPrefix: true,
      headers: { authorization: "Bearer {vault://coffer/ml/openai_key}" },
      query: { key: "{vault://env/maps-key}" },
      timeoutMs: 30000,
    },
    { path: "/", upstream: "https://example.com" },
  ],
};

/** The lines a ConfigError holds, or fails. */
function problems(data: unknown): readonly string[] {
  try {
    checkConfig(data, "config.json", "/etc/gw");
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

const withRoute = (route: Record<string, unknown>, top: Record<string, unknown> = {}) => ({
  env: {},
  ...top,
  routes: [{ path: "/a", upstream: "http://127.0.0.1:9000", ...route }],
});

describe("checkConfig", () => {
  it("accepts every field, and reads file.root from the config file's folder", () => {
    const config = checkConfig(good, "config.json", "/etc/gw");
    expect(config.routes).toHaveLength(2);
    expect(config.file).toEqual({ root: "/etc/gw/secrets" });
    expect(checkConfig({ routes: [{ path: "/", upstream: "http://x" }] }, "c", "/")).toEqual({
      routes: [{ path: "/", upstream: "http://x" }],
    });
  });

  it.each([
    [{ upstream: "ftp://x" }, 'config.json: /routes/0/upstream: must match format "http-url"'],
    [{ upstream: "http://u:p@x" }, 'config.json: /routes/0/upstream: must match format "http-url"'],
    [
      { upstream: "http://x/?q=1" },
      'config.json: /routes/0/upstream: must match format "http-url"',
    ],
    [
      { path: "a" },
      'config.json: /routes/0/path: must be a path like "/api" or "/": segments of URL path characters, no trailing "/"',
    ],
    [
      { path: "/a/" },
      'config.json: /routes/0/path: must be a path like "/api" or "/": segments of URL path characters, no trailing "/"',
    ],
    [{ path: "/a/../b" }, 'config.json: /routes/0/path: must not hold "." or ".." segments'],
    [{ stripPrefix: "yes" }, "config.json: /routes/0/stripPrefix: must be boolean"],
    [{ timeoutMs: 0 }, "config.json: /routes/0/timeoutMs: must be >= 1"],
    [
      { headers: { "bad name": "x" } },
      "config.json: /routes/0/headers/bad name: is not a valid HTTP header name",
    ],
    [
      { headers: { "x-a": "line\r\nbreak" } },
      "config.json: /routes/0/headers/x-a: must not hold control characters (only tab)",
    ],
    [{ headers: { "x-a": 1 } }, "config.json: /routes/0/headers/x-a: must be string"],
    [
      { headers: { Host: "x" } },
      "config.json: /routes/0/headers/Host: the gateway sets or strips host; a route cannot",
    ],
    [
      { headers: { Connection: "x" } },
      "config.json: /routes/0/headers/Connection: the gateway sets or strips connection; a route cannot",
    ],
    [
      { headers: { "X-A": "1", "x-a": "2" } },
      'config.json: /routes/0/headers/x-a: same header as "X-A"',
    ],
    [{ query: { "a/b": 1 } }, "config.json: /routes/0/query/a~1b: must be string"],
    [{ methods: ["GET"] }, 'config.json: /routes/0: unknown field "methods"'],
    [{ header: {} }, 'config.json: /routes/0: unknown field "header"; did you mean "headers"?'],
  ])("names the path and the reason: %j", (route, line) => {
    expect(problems(withRoute(route))).toEqual([line]);
  });

  it.each([
    [{ listen: { port: 70000 } }, "config.json: /listen/port: must be <= 65535"],
    [{ listen: { host: "a b" } }, "config.json: /listen/host: must be a host name or address"],
    [{ coffer: {} }, 'config.json: /coffer: missing field "url"'],
    [{ coffer: { url: "http://x", token: "t" } }, 'config.json: /coffer: unknown field "token"'],
    [{ cache: { ttl: -1 } }, "config.json: /cache/ttl: must be >= 0"],
    [{ cache: { ttl: 1.5 } }, "config.json: /cache/ttl: must be integer"],
    [{ cache: { TTL: 1 } }, 'config.json: /cache: unknown field "TTL"; did you mean "ttl"?'],
    [{ env: true }, "config.json: /env: must be false"],
    [{ env: { prefix: "A-" } }, "config.json: /env/prefix: must be letters, digits and _"],
    [{ env: "GW_" }, "config.json: /env: must be object"],
    [{ file: {} }, 'config.json: /file: missing field "root"'],
    [{ incoming: { allow: "x" } }, "config.json: /incoming/allow: must be array"],
    [
      { metricsPath: "/" },
      'config.json: /metricsPath: must not be "/": every request would be a metrics scrape',
    ],
    [{ metricsPath: "/-/healthz" }, "config.json: /metricsPath: /-/healthz is the health check"],
    [{ listn: {} }, 'config.json: /: unknown field "listn"; did you mean "listen"?'],
  ])("top-level fields: %j", (top, line) => {
    expect(problems(withRoute({}, top))).toEqual([line]);
  });

  it("bounds sizes", () => {
    expect(problems(withRoute({ upstream: `http://h/${"x".repeat(3000)}` }))).toEqual([
      "config.json: /routes/0/upstream: must NOT have more than 2048 characters",
    ]);
    const headers = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`x-${i}`, "v"]));
    expect(problems(withRoute({ headers }))).toEqual([
      "config.json: /routes/0/headers: must NOT have more than 64 properties",
    ]);
  });

  it("reports every problem at once, one line each", () => {
    const lines = problems({
      routes: [
        { path: "/a", upstream: "nope", extra: 1 },
        { path: "/a", upstream: "http://x" },
      ],
      cache: { max: 0 },
    });
    expect(lines).toEqual([
      "config.json: /cache/max: must be >= 1",
      'config.json: /routes/0: unknown field "extra"',
      'config.json: /routes/0/upstream: must match format "http-url"',
    ]);
    expect(
      problems({
        routes: [
          { path: "/a", upstream: "http://x" },
          { path: "/a", upstream: "http://y" },
        ],
      }),
    ).toEqual(["config.json: /routes/1/path: same path as /routes/0"]);
  });

  it("needs routes, at least one, and an object", () => {
    expect(problems({})).toEqual(['config.json: /: missing field "routes"']);
    expect(problems({ routes: [] })).toEqual([
      "config.json: /routes: must NOT have fewer than 1 items",
    ]);
    expect(problems([])).toEqual(["config.json: /: must be object"]);
  });

  it("parses references at start and says which field holds a bad one", () => {
    expect(problems(withRoute({ headers: { authorization: "Bearer {vault://env}" } }))).toEqual([
      'config.json: /routes/0/headers/authorization: bad reference "{vault://env}" at character 13: the path is missing',
    ]);
    expect(problems(withRoute({ query: { key: "{vault://nope/x}" } }))[0]).toMatch(
      /^config\.json: \/routes\/0\/query\/key: bad reference "\{vault:\/\/nope\/x\}" at character 10: unknown backend "nope"/,
    );
    expect(problems(withRoute({ query: { key: "{vault://env/a?bogus=1}" } }))[0]).toMatch(
      /^config\.json: \/routes\/0\/query\/key: .*unknown query key "bogus"; allowed: ttl, neg_ttl, resurrect_ttl, prefix$/,
    );
  });

  it("says when a reference names a backend the config does not turn on", () => {
    const config = {
      routes: [{ path: "/a", upstream: "http://x", headers: { "x-k": "a {vault://coffer/k}" } }],
    };
    expect(problems(config)).toEqual([
      'config.json: /routes/0/headers/x-k: character 3: the coffer backend is not configured (add "coffer": {"url": …})',
    ]);
    expect(
      problems({
        ...config,
        env: false,
        routes: [{ path: "/a", upstream: "http://x", query: { k: "{vault://env/k}" } }],
      }),
    ).toEqual([
      'config.json: /routes/0/query/k: character 1: the env backend is not configured (add "env": {})',
    ]);
  });

  it("refuses incoming env references unless env has a prefix", () => {
    const route = { path: "/a", upstream: "http://x" };
    expect(
      problems({ env: {}, incoming: { allow: ["{vault://env/*}"] }, routes: [route] }),
    ).toEqual([
      'config.json: /incoming/allow/0: allowing incoming env references needs "env": {"prefix": …}',
    ]);
    const prefixed = { env: { prefix: "GW_" }, incoming: { allow: ["{vault://env/*}"] } };
    expect(() => checkConfig({ ...prefixed, routes: [route] }, "config.json", "/")).not.toThrow();
  });

  it("refuses a mistyped reference, naming the field, the character and the fix", () => {
    expect(
      problems(
        withRoute({
          headers: { authorization: "Bearer {vault:/env/k}" },
          query: { k: "{vault//env/k}", j: "{ vault://env/k}" },
        }),
      ),
    ).toEqual([
      'config.json: /routes/0/headers/authorization: character 8: "{vault:/" looks like a mistyped reference: a reference starts with "{vault://"',
      'config.json: /routes/0/query/k: character 1: "{vault//" looks like a mistyped reference: a reference starts with "{vault://"',
      'config.json: /routes/0/query/j: character 1: "{ vault://" looks like a mistyped reference: a reference starts with "{vault://"',
    ]);
  });

  it("warns of vault:// without braces, and loads", () => {
    const warnings: string[] = [];
    const config = checkConfig(
      withRoute({ query: { k: "see vault://env/k" } }),
      "config.json",
      "/etc/gw",
      (line) => warnings.push(line),
    );
    expect(config.routes[0]?.query).toEqual({ k: "see vault://env/k" });
    expect(warnings).toEqual([
      'config.json: /routes/0/query/k: character 5: "vault://" without "{" is not a reference (write {vault://…}); if it is meant as text, ignore this',
    ]);
  });

  it("refuses / or a system folder as file.root; warns of a root outside the config's folder", () => {
    const advice =
      "every file under the root can be referenced; use a folder that holds only the gateway's secrets";
    expect(problems(withRoute({}, { file: { root: "/" } }))).toEqual([
      `config.json: /file/root: / is the file system's root: ${advice}`,
    ]);
    expect(problems(withRoute({}, { file: { root: "../.." } }))).toEqual([
      `config.json: /file/root: / is the file system's root: ${advice}`,
    ]);
    expect(problems(withRoute({}, { file: { root: "/proc" } }))).toEqual([
      `config.json: /file/root: /proc is a system folder: ${advice}`,
    ]);
    const warnings: string[] = [];
    const warn = (line: string): number => warnings.push(line);
    for (const root of ["secrets", ".", "./a/../b", "/srv/gw-secrets", "../shared"]) {
      checkConfig(withRoute({}, { file: { root } }), "config.json", "/etc/gw", warn);
    }
    expect(warnings).toEqual([
      "config.json: /file/root: /srv/gw-secrets is outside the config file's folder (/etc/gw); make sure it holds only the gateway's secrets",
      "config.json: /file/root: /etc/shared is outside the config file's folder (/etc/gw); make sure it holds only the gateway's secrets",
    ]);
  });

  it("never quotes a header template in a problem", () => {
    const literal = "Bearer sk-literal-credential-0001";
    const lines = problems(
      withRoute({ headers: { authorization: `${literal}\n` }, extra: literal }),
    );
    expect(lines.join("\n")).not.toContain("sk-literal");
  });
});

describe("loadConfigFile", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "gw-config-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const load = async (name: string, text?: string): Promise<string[] | "ok"> => {
    const file = path.join(dir, name);
    if (text !== undefined) await writeFile(file, text);
    try {
      await loadConfigFile(file, name);
      return "ok";
    } catch (error) {
      if (error instanceof ConfigError) return [...error.problems];
      throw error;
    }
  };

  it("reads a good file", async () => {
    expect(await load("good.json", JSON.stringify(good))).toBe("ok");
  });

  it("one clear line for a missing file, a directory, an empty or non-JSON file", async () => {
    expect(await load("missing.json")).toEqual([
      "missing.json: cannot read the file (no such file)",
    ]);
    expect(await load(".")).toEqual([".: not a file"]);
    expect(await load("empty.json", "")).toEqual([
      "empty.json: not valid JSON (the file is empty)",
    ]);
    const bad = await load(
      "bad.json",
      '{\n  "routes": [\n    {"path": "/a", "upstream": Bearer-sk-secret-0001}\n  ]\n}',
    );
    expect(bad).toEqual([
      expect.stringMatching(/^bad\.json: not valid JSON( at line 3, column \d+)?$/),
    ]);
    expect(String(bad)).not.toContain("sk-secret");
  });

  it("refuses a file over 1 MiB without parsing it", async () => {
    expect(await load("huge.json", " ".repeat(1024 * 1024 + 1))).toEqual([
      "huge.json: larger than 1048576 bytes",
    ]);
  });
});
