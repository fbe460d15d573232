import { describe, expect, it } from "vitest";
import { EnvError, readEnv } from "./env.js";

describe("readEnv", () => {
  it("takes the config path from argv, else COFFER_GATEWAY_CONFIG, from where the command ran", () => {
    expect(
      readEnv(["gw.json"], { COFFER_GATEWAY_CONFIG: "/etc/other.json" }, "/srv"),
    ).toMatchObject({ configPath: "/srv/gw.json", configLabel: "gw.json", logLevel: "info" });
    expect(readEnv([], { COFFER_GATEWAY_CONFIG: "/etc/gw.json" }, "/srv")).toMatchObject({
      configPath: "/etc/gw.json",
      configLabel: "/etc/gw.json",
    });
    expect(readEnv([], { INIT_CWD: "/home/me" }).configPath).toBeUndefined();
    expect(readEnv(["c.json"], { INIT_CWD: "/home/me" }).configPath).toBe("/home/me/c.json");
  });

  it("reads COFFER_TOKEN and LOG_LEVEL; the env backend never sees the token", () => {
    const env = readEnv(["c.json"], {
      COFFER_TOKEN: "cft_fake_0001",
      LOG_LEVEL: "debug",
      GW_KEY: "k",
    });
    expect(env.cofferToken).toBe("cft_fake_0001");
    expect(env.logLevel).toBe("debug");
    expect(env.variables).toEqual({ LOG_LEVEL: "debug", GW_KEY: "k" });
  });

  it("refuses a bad log level and extra arguments", () => {
    expect(() => readEnv([], { LOG_LEVEL: "loud" })).toThrow(EnvError);
    expect(() => readEnv(["a", "b"], {})).toThrow("takes one argument");
  });
});
