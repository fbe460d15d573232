/**
 * The server's configuration, read from the environment here and nowhere else, and checked
 * at start with one clear message per bad value (never echoing a key).
 */
import { isIP } from "node:net";
import path from "node:path";
import { PRINCIPAL_NAME_RE } from "@coffer/core";
import { fileURLToPath } from "node:url";
import { parseCidr } from "./webhooks/address-guard.js";

/** apps/console/dist, from this file in apps/server/src or apps/server/dist alike. */
const BUILT_CONSOLE_DIR = fileURLToPath(new URL("../../console/dist", import.meta.url));

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** A PostgreSQL server; without it, embedded PGlite in `<dataDir>/db`. */
  databaseUrl: string | undefined;
  org: string;
  /** Base64 root key (COFFER_ROOT_KEY), or a file holding one (COFFER_ROOT_KEY_FILE). */
  rootKey: string | undefined;
  rootKeyFile: string | undefined;
  /** Older root keys, comma-separated base64, still able to unwrap after a rotation. */
  previousRootKeys: string[];
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Longest a token may live, in days (SPEC §4: configurable, default 1 year). */
  maxTokenTtlDays: number;
  /** How often background jobs look for work, in ms. */
  jobIntervalMs: number;
  /**
   * How long a replica holds a rotation job without a step committing, in ms (SPEC §11);
   * then another replica takes it over. Must exceed the webhook calls' 10 s timeout in
   * production (a shorter lease lets a second replica replay a step still running).
   */
  rotationLeaseMs: number;
  /** How long a replica holds a hook delivery it sends (COFFER_HOOK_LEASE_MS). */
  hookLeaseMs: number;
  /** Failed authentications allowed per client address per minute. */
  authFailuresPerMinute: number;
  /** The web console's built files (SPEC §13), served at `/`; apps/console/dist by default. */
  consoleDir: string;
  /**
   * Proxies whose X-Forwarded-For is believed (COFFER_TRUSTED_PROXIES, comma-separated
   * addresses, CIDR ranges, or `loopback`, `linklocal`, `uniquelocal`). Empty: the client is the
   * socket's peer, and X-Forwarded-For is ignored.
   */
  trustedProxies: string[];
  /**
   * Private, loopback or link-local targets that webhooks may reach all the same
   * (COFFER_HOOK_ALLOW_CIDRS, comma-separated CIDR ranges or addresses; SPEC §12). Empty: none.
   */
  hookAllowCidrs: string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`bad configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** Express's (proxy-addr's) forms, minus netmasks and hop counts. */
function isProxySpec(text: string): boolean {
  if (["loopback", "linklocal", "uniquelocal"].includes(text)) return true;
  const [address = "", bits, ...rest] = text.split("/");
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

const commaList = (raw: string | undefined): string[] =>
  (raw ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");

const quoted = (values: string[]): string => values.map((v) => `"${v.slice(0, 45)}"`).join(", ");

/**
 * Relative paths are read from where the user typed the command: pnpm runs a package's script
 * in the package's folder, and says where it was started in INIT_CWD.
 */
export function readConfig(
  env: NodeJS.ProcessEnv = process.env,
  cwd = env["INIT_CWD"] ?? process.cwd(),
): Config {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min || n > max) {
      problems.push(
        `${name} must be a whole number from ${min} to ${max} (got "${raw.slice(0, 20)}")`,
      );
      return fallback;
    }
    return n;
  };
  const org = env["COFFER_ORG"] || "default";
  if (!PRINCIPAL_NAME_RE.test(org)) {
    problems.push(
      "COFFER_ORG must be a lowercase letter, then up to 38 lowercase letters, digits or -",
    );
  }
  const databaseUrl = env["DATABASE_URL"] || undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push("DATABASE_URL must start with postgres:// or postgresql://");
  }
  const logLevel = (env["COFFER_LOG_LEVEL"] || "info") as Config["logLevel"];
  if (!LOG_LEVELS.includes(logLevel))
    problems.push(`COFFER_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}`);
  const config: Config = {
    host: env["COFFER_HOST"] || "127.0.0.1",
    port: int("COFFER_PORT", 7700, 0, 65535),
    dataDir: path.resolve(cwd, env["COFFER_DATA_DIR"] || ".coffer"),
    databaseUrl,
    org,
    rootKey: env["COFFER_ROOT_KEY"] || undefined,
    rootKeyFile: env["COFFER_ROOT_KEY_FILE"]
      ? path.resolve(cwd, env["COFFER_ROOT_KEY_FILE"])
      : undefined,
    previousRootKeys: (env["COFFER_PREVIOUS_ROOT_KEYS"] ?? "")
      .split(",")
      .map((k) => k.trim())
      .filter((k) => k !== ""),
    logLevel,
    maxTokenTtlDays: int("COFFER_MAX_TOKEN_TTL_DAYS", 365, 1, 3650),
    jobIntervalMs: int("COFFER_JOB_INTERVAL_MS", 60_000, 100, 86_400_000),
    rotationLeaseMs: int("COFFER_ROTATION_LEASE_MS", 30_000, 1_000, 600_000),
    hookLeaseMs: int("COFFER_HOOK_LEASE_MS", 60_000, 1_000, 600_000),
    authFailuresPerMinute: int("COFFER_AUTH_FAILURES_PER_MINUTE", 20, 1, 100_000),
    trustedProxies: commaList(env["COFFER_TRUSTED_PROXIES"]),
    hookAllowCidrs: commaList(env["COFFER_HOOK_ALLOW_CIDRS"]),
    consoleDir: env["COFFER_CONSOLE_DIR"]
      ? path.resolve(cwd, env["COFFER_CONSOLE_DIR"])
      : BUILT_CONSOLE_DIR,
  };
  const badProxies = config.trustedProxies.filter((p) => !isProxySpec(p));
  if (badProxies.length > 0) {
    problems.push(
      `COFFER_TRUSTED_PROXIES must list addresses, CIDR ranges (10.0.0.0/8) or loopback, linklocal, uniquelocal, comma-separated (not: ${quoted(badProxies)})`,
    );
  }
  const badCidrs = config.hookAllowCidrs.filter((c) => parseCidr(c) === undefined);
  if (badCidrs.length > 0) {
    problems.push(
      `COFFER_HOOK_ALLOW_CIDRS must list addresses or CIDR ranges (10.0.0.0/8, fd00::/8), comma-separated (not: ${quoted(badCidrs)})`,
    );
  }
  if (config.rootKey !== undefined && config.rootKeyFile !== undefined) {
    problems.push("set COFFER_ROOT_KEY or COFFER_ROOT_KEY_FILE, not both");
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
