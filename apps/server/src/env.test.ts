import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, readConfig } from "./env.js";

describe("readConfig", () => {
  it("has the SPEC's defaults, and reads paths from where the command was typed", () => {
    const config = readConfig({ INIT_CWD: "/home/someone/coffer" });
    expect(config).toMatchObject({
      host: "127.0.0.1",
      port: 7700,
      org: "default",
      databaseUrl: undefined,
      maxTokenTtlDays: 365,
      logLevel: "info",
      rotationLeaseMs: 30_000,
    });
    expect(config.dataDir).toBe(path.resolve("/home/someone/coffer", ".coffer"));
    expect(readConfig({ COFFER_DATA_DIR: "data" }, "/srv").dataDir).toBe("/srv/data");
  });

  it("names every bad value at once, and never repeats a key", () => {
    const bad = {
      COFFER_PORT: "70000",
      COFFER_ORG: "Not An Org",
      DATABASE_URL: "mysql://x",
      COFFER_LOG_LEVEL: "loud",
      COFFER_MAX_TOKEN_TTL_DAYS: "-1",
      COFFER_ROOT_KEY: "fake-root-key-material",
      COFFER_ROOT_KEY_FILE: "/k",
    };
    let error: unknown;
    try {
      readConfig(bad, "/srv");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(6);
    for (const name of [
      "COFFER_PORT",
      "COFFER_ORG",
      "DATABASE_URL",
      "COFFER_LOG_LEVEL",
      "COFFER_MAX_TOKEN_TTL_DAYS",
    ]) {
      expect(problems.some((p) => p.startsWith(name))).toBe(true);
    }
    expect(problems.join()).toMatch(/COFFER_ROOT_KEY or COFFER_ROOT_KEY_FILE, not both/);
    expect((error as ConfigError).message).not.toContain("fake-root-key-material");
  });

  it("reads the rotation lease in whole ms from 1000 to 600000", () => {
    expect(readConfig({ COFFER_ROTATION_LEASE_MS: "3000" }, "/srv").rotationLeaseMs).toBe(3000);
    for (const bad of ["999", "600001", "2.5", "3s"]) {
      expect(() => readConfig({ COFFER_ROTATION_LEASE_MS: bad }, "/srv"), bad).toThrow(
        /COFFER_ROTATION_LEASE_MS must be a whole number from 1000 to 600000/,
      );
    }
  });

  it("reads previous root keys as a list", () => {
    expect(readConfig({ COFFER_PREVIOUS_ROOT_KEYS: " a , b ,," }, "/srv").previousRootKeys).toEqual(
      ["a", "b"],
    );
  });

  it("reads trusted proxies as a list of addresses, ranges and names; none by default", () => {
    expect(readConfig({}, "/srv").trustedProxies).toEqual([]);
    expect(
      readConfig({ COFFER_TRUSTED_PROXIES: " 10.0.0.1, 10.1.0.0/16,fd00::/8 ,loopback" }, "/srv")
        .trustedProxies,
    ).toEqual(["10.0.0.1", "10.1.0.0/16", "fd00::/8", "loopback"]);
    for (const bad of ["10.0.0.0/33", "proxy.example", "1", "10.0.0.1/8/8", "::1/129"]) {
      expect(() => readConfig({ COFFER_TRUSTED_PROXIES: bad }, "/srv"), bad).toThrow(
        /COFFER_TRUSTED_PROXIES must list/,
      );
    }
  });

  it("reads the webhook allow-list as CIDRs and addresses; none by default", () => {
    expect(readConfig({}, "/srv").hookAllowCidrs).toEqual([]);
    expect(
      readConfig({ COFFER_HOOK_ALLOW_CIDRS: " 127.0.0.1/32, 10.0.0.5,fd00::/8 ," }, "/srv")
        .hookAllowCidrs,
    ).toEqual(["127.0.0.1/32", "10.0.0.5", "fd00::/8"]);
    for (const bad of ["10.0.0.0/33", "hooks.internal", "loopback", "10.0.0.1/8/8", "::1/129"]) {
      expect(() => readConfig({ COFFER_HOOK_ALLOW_CIDRS: bad }, "/srv"), bad).toThrow(
        /COFFER_HOOK_ALLOW_CIDRS must list addresses or CIDR ranges .*\(not: "/,
      );
    }
  });
});
