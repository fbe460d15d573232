/**
 * The gateway's config file: read, parsed, checked against core's JSON Schema, then checked
 * for what a schema cannot say (duplicate routes, headers the proxy owns, references that do
 * not parse or name a backend that is not configured, text that looks like a mistyped
 * reference, a `file.root` at `/` or a system folder). Every problem is one line,
 * `<file>: <JSON pointer>: <reason>`, and no line quotes the file's text or a value. What may
 * be meant (`vault://…` without braces, a `file.root` outside the config file's folder) is a
 * warning, in the same form, given to the caller's `warn`.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import {
  DEFAULT_BACKENDS,
  ReferenceSyntaxError,
  findReferenceLookalikes,
  findVaultReferences,
  validateGatewayConfig,
  type BackendSyntax,
  type GatewayConfig,
  type ValidationIssue,
} from "@coffer/core";
import { fileRootProblem } from "@coffer/gateway";
import { HOP_BY_HOP_HEADERS } from "./hop-by-hop.js";

export type { GatewayConfig, GatewayRouteConfig } from "@coffer/core";

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 8080;
export const DEFAULT_METRICS_PATH = "/-/metrics";
export const HEALTH_PATH = "/-/healthz";
/** A config file is a few routes; anything bigger is a mistake. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Headers the proxy itself sets or that describe the connection: a route may not set them. */
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  ...HOP_BY_HOP_HEADERS,
  "host",
  "content-length",
  "expect",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
]);

export class ConfigError extends Error {
  /** One line per problem, each starting with the file's name. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
    this.problems = problems;
  }

  static of(label: string, issues: readonly ValidationIssue[]): ConfigError {
    return new ConfigError(issues.map((issue) => `${label}: ${issue.path}: ${issue.message}`));
  }
}

/** Told each warning line (`<file>: <JSON pointer>: <reason>`); the config still loads. */
export type ConfigWarn = (line: string) => void;

/** Reads and checks a config file. `label` names it in messages (the path as the user typed it). */
export async function loadConfigFile(
  file: string,
  label = file,
  warn: ConfigWarn = () => undefined,
): Promise<GatewayConfig> {
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new ConfigError([`${label}: not a file`]);
    if (info.size > MAX_CONFIG_BYTES) {
      throw new ConfigError([`${label}: larger than ${MAX_CONFIG_BYTES} bytes`]);
    }
    text = await readFile(file, "utf8");
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError([`${label}: cannot read the file (${fsReason(error)})`]);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    // JSON.parse's message may quote the file, which may hold a literal credential.
    throw new ConfigError([`${label}: not valid JSON${jsonPosition(text, error)}`]);
  }
  return checkConfig(data, label, path.dirname(file), warn);
}

function fsReason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case "ENOENT":
      return "no such file";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "it is a directory";
    default:
      return typeof code === "string" ? code : "unknown error";
  }
}

/** " at line L, column C" from JSON.parse's "position N", or "" (never the text itself). */
function jsonPosition(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : "";
  const match = /position (\d+)/.exec(message);
  if (match === null) return text.trim() === "" ? " (the file is empty)" : "";
  const offset = Number(match[1]);
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return ` at line ${line}, column ${column}`;
}

/**
 * Checks parsed config data; returns it with `file.root` made absolute against `baseDir`
 * (the config file's folder). Throws ConfigError with every problem found; gives `warn` each
 * warning (only when there is no problem).
 */
export function checkConfig(
  data: unknown,
  label: string,
  baseDir: string,
  warn: ConfigWarn = () => undefined,
): GatewayConfig {
  const result = validateGatewayConfig(data);
  if (!result.ok) throw ConfigError.of(label, result.issues);
  const config = result.config;
  const warnings: ValidationIssue[] = [];
  const issues = semanticIssues(config, warnings);
  const root = config.file === undefined ? undefined : path.resolve(baseDir, config.file.root);
  if (root !== undefined) issues.push(...fileRootIssues(root, path.resolve(baseDir), warnings));
  if (issues.length > 0) throw ConfigError.of(label, issues);
  for (const line of ConfigError.of(label, warnings).problems) warn(line);
  return root === undefined ? config : { ...config, file: { root } };
}

/**
 * `/` and system folders are refused (the file backend's rule); a root outside the config
 * file's folder is a warning: it may be meant (`/run/secrets`), but it is where a wrong `..`
 * leads.
 */
function fileRootIssues(
  root: string,
  baseDir: string,
  warnings: ValidationIssue[],
): ValidationIssue[] {
  const problem = fileRootProblem(root);
  if (problem !== undefined) return [{ path: "/file/root", message: problem }];
  const relative = path.relative(baseDir, root);
  if (relative === ".." || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
    warnings.push({
      path: "/file/root",
      message: `${root} is outside the config file's folder (${baseDir}); make sure it holds only the gateway's secrets`,
    });
  }
  return [];
}

/** The backends a config turns on, with their reference syntax. */
export function configuredBackends(config: GatewayConfig): Record<string, BackendSyntax> {
  const backends: Record<string, BackendSyntax> = {};
  if (config.env !== undefined && config.env !== false) backends["env"] = DEFAULT_BACKENDS["env"]!;
  if (config.file !== undefined) backends["file"] = DEFAULT_BACKENDS["file"]!;
  if (config.coffer !== undefined) backends["coffer"] = DEFAULT_BACKENDS["coffer"]!;
  return backends;
}

const pointer = (...parts: (string | number)[]): string =>
  parts.map((p) => `/${String(p).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");

function semanticIssues(config: GatewayConfig, warnings: ValidationIssue[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const backends = configuredBackends(config);
  const metricsPath = config.metricsPath ?? DEFAULT_METRICS_PATH;
  if (metricsPath === HEALTH_PATH) {
    issues.push({ path: "/metricsPath", message: `${HEALTH_PATH} is the health check` });
  }
  // As the middleware requires when it builds its own resolver (here it is shared): without a
  // prefix, an incoming env reference could read any variable of this process.
  const envPrefix =
    config.env === undefined || config.env === false ? "" : (config.env.prefix ?? "");
  config.incoming?.allow.forEach((pattern, i) => {
    if (pattern.startsWith("{vault://env/") && envPrefix === "") {
      issues.push({
        path: pointer("incoming", "allow", i),
        message: 'allowing incoming env references needs "env": {"prefix": …}',
      });
    }
  });
  const firstWithPath = new Map<string, number>();
  config.routes.forEach((route, i) => {
    const earlier = firstWithPath.get(route.path);
    if (earlier !== undefined) {
      issues.push({
        path: pointer("routes", i, "path"),
        message: `same path as /routes/${earlier}`,
      });
    } else {
      firstWithPath.set(route.path, i);
    }
    if (route.path === metricsPath || route.path === HEALTH_PATH) {
      issues.push({
        path: pointer("routes", i, "path"),
        message: `${route.path} is served by the gateway itself (metrics or health check)`,
      });
    }
    if (/(^|\/)(\.|%2e){1,2}(\/|$)/i.test(route.path)) {
      issues.push({
        path: pointer("routes", i, "path"),
        message: 'must not hold "." or ".." segments',
      });
    }
    const seen = new Map<string, string>();
    for (const [name, template] of Object.entries(route.headers ?? {})) {
      const lower = name.toLowerCase();
      const at = pointer("routes", i, "headers", name);
      if (RESERVED_HEADERS.has(lower)) {
        issues.push({ path: at, message: `the gateway sets or strips ${lower}; a route cannot` });
      }
      const twin = seen.get(lower);
      if (twin !== undefined) issues.push({ path: at, message: `same header as "${twin}"` });
      seen.set(lower, name);
      issues.push(...referenceIssues(template, at, backends, warnings));
    }
    for (const [name, template] of Object.entries(route.query ?? {})) {
      const at = pointer("routes", i, "query", name);
      issues.push(...referenceIssues(template, at, backends, warnings));
    }
  });
  return issues;
}

const TURN_ON: Readonly<Record<string, string>> = {
  env: 'add "env": {}',
  file: 'add "file": {"root": …}',
  coffer: 'add "coffer": {"url": …}',
};

/** A template's bad references and mistyped look-alikes; an unbraced `vault://` is a warning. */
function referenceIssues(
  template: string,
  at: string,
  backends: Record<string, BackendSyntax>,
  warnings: ValidationIssue[],
): ValidationIssue[] {
  try {
    const issues: ValidationIssue[] = [];
    for (const lookalike of findReferenceLookalikes(template)) {
      const list = lookalike.kind === "mistyped" ? issues : warnings;
      list.push({ path: at, message: lookalike.message });
    }
    for (const found of findVaultReferences(template)) {
      const backend = found.reference.backend;
      if (!Object.hasOwn(backends, backend)) {
        issues.push({
          path: at,
          message: `character ${found.start + 1}: the ${backend} backend is not configured (${TURN_ON[backend] ?? "unknown"})`,
        });
      }
    }
    return issues;
  } catch (error) {
    if (error instanceof ReferenceSyntaxError) return [{ path: at, message: error.message }];
    throw error;
  }
}
