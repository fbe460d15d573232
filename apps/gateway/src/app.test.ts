import { describe, expect, it } from "vitest";
import { createGatewayApp } from "./app.js";
import { ConfigError } from "./config.js";
import { createLogger } from "./logger.js";

const log = createLogger("silent");

function startProblems(config: Parameters<typeof createGatewayApp>[0]): readonly string[] {
  try {
    const app = createGatewayApp(config, { logger: log, configLabel: "gw.json" });
    void app.close();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("createGatewayApp", () => {
  it("checks references with the backends' own rules, naming the field", () => {
    expect(
      startProblems({
        env: {},
        routes: [{ path: "/a", upstream: "http://x", headers: { "x-k": "{vault://env/k#3}" } }],
      }),
    ).toEqual([
      'gw.json: /routes/0/headers/x-k: bad reference "{vault://env/k#3}" at character 1: the env backend has version 1 (current) and 2 (<NAME>_PREVIOUS)',
    ]);
  });

  it("points at incoming.allow when the middleware refuses a pattern", () => {
    const problems = startProblems({
      env: {},
      incoming: { allow: ["{vault://nope/*}"] },
      routes: [{ path: "/a", upstream: "http://x" }],
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^gw\.json: \/incoming\/allow: bad reference .*unknown backend "nope"/,
    );
  });

  it("builds and closes cleanly", async () => {
    const app = createGatewayApp(
      {
        env: { prefix: "GW_" },
        routes: [
          { path: "/a", upstream: "http://127.0.0.1:1", headers: { "x-k": "{vault://env/k}" } },
          { path: "/b", upstream: "http://127.0.0.1:1/b" },
        ],
      },
      { logger: log, variables: { GW_K: "fake-0001" } },
    );
    expect(typeof app.handler).toBe("function");
    expect(app.resolver.stats().entries).toBe(0);
    await app.close();
  });
});
