/**
 * The server's validation details (`{ issues: [{ path, message }] }`, ajv's words about API
 * fields) told in the CLI's words: the option or argument the user typed, and the form it
 * takes. A pattern is never shown: the form is described instead.
 */

/** API field (the path's last name) → what the user typed it as. */
const FIELD_WORDS: Record<string, string> = {
  id: "ID",
  name: "NAME",
  user: "USER",
  team: "TEAM",
  subject: "USER|TEAM",
  owner: "--owner",
  identity: "IDENTITY",
  expiresInSeconds: "--expires",
  since: "--since",
  description: "--description",
  secret: "NAME",
  resource: "--perm",
  scopes: "--perm",
  level: "--perm",
  perm: "--perm",
  length: "--length",
  recoveryDays: "--recovery-days",
  version: "--version",
  stage: "--stage",
  key: "--key",
  audience: "--audience",
  issuer: "--issuer",
  tokenTtlSeconds: "--ttl",
  conditions: "--claim",
  rotator: "--rotator",
  every: "--every",
  cron: "--cron",
  window: "--window",
  targets: "--targets",
  adminSecret: "--admin-secret",
  role: "--role",
  url: "--url",
  signingSecret: "--signing-secret",
  database: "--database",
  mode: "--mode",
  maxAttempts: "--max-attempts",
  excludeCharacters: "--exclude-characters",
  allowSecrets: "--allow-secret",
  match: "--match",
  on: "--on",
  headers: "--header",
  body: "--body",
  hook: "--hook",
  automation: "NAME",
  delivery: "ID",
  event: "--event",
};

/** A pattern's opening → the form it stands for. */
const PATTERN_FORMS: [RegExp, string][] = [
  [/^\^tok_/, "a token id: tok_ and 16 letters or digits (`coffer token ls` lists them)"],
  [/^\^cfk_/, "an access key id: cfk_ and 20 letters or digits"],
  [
    /^\^\[a-z\]\[a-z0-9-\]\{0,38\}\$$/,
    "a name of lowercase letters, digits and -, starting with a letter, at most 39 long",
  ],
  [
    /^\^\[a-z\]\[a-z0-9-\]\{0,62\}\$$/,
    "lowercase letters, digits and -, starting with a letter, at most 63 long",
  ],
  [/^\^\[\^\\u0000-\\u001f\]/, "text without control characters"],
  [/^\^\\d\{4\}/, "a date such as 2026-01-31"],
  [/^\^\(\?:0\|\[1-9\]\[0-9\]\{0,5\}\)\[hd\]\$$/, "hours or days, such as 12h or 90d"],
];

function formOf(pattern: string): string {
  return PATTERN_FORMS.find(([re]) => re.test(pattern))?.[1] ?? "in the accepted form";
}

/** A duration in the largest whole unit: 3660 days, 15 minutes, 1 minute, 90 seconds. */
function duration(seconds: number): string {
  const units = [
    ["day", 86_400],
    ["hour", 3600],
    ["minute", 60],
  ] as const;
  const [unit, size] = units.find(([, n]) => seconds >= n && seconds % n === 0) ?? ["second", 1];
  const count = seconds / size;
  return `${count} ${unit}${count === 1 ? "" : "s"}`;
}

function limit(field: string, bound: number, word: "most" | "least"): string {
  return `at ${word} ${field.endsWith("Seconds") ? duration(bound) : bound}`;
}

function phrase(field: string, message: string): string {
  const pattern = /^must match pattern "(.*)"$/.exec(message);
  if (pattern) return `must be ${formOf(pattern[1]!)}`;
  const bound = /^must be ([<>])=? (-?\d+)$/.exec(message);
  if (bound)
    return `must be ${limit(field, Number(bound[2]), bound[1] === "<" ? "most" : "least")}`;
  const longest = /^must NOT have more than (\d+) (characters|items)$/.exec(message);
  if (longest) return `takes at most ${longest[1]} ${longest[2]}`;
  const shortest = /^must NOT have fewer than (\d+) (characters|items)$/.exec(message);
  if (shortest)
    return shortest[1] === "1"
      ? "may not be empty"
      : `takes at least ${shortest[1]} ${shortest[2]}`;
  return message;
}

/** The first issue in the CLI's words, or undefined when the details hold none. */
export function validationInCliWords(details: Record<string, unknown>): string | undefined {
  const issues = details["issues"];
  if (!Array.isArray(issues) || issues.length === 0) return undefined;
  const { path, message } = issues[0] as { path?: unknown; message?: unknown };
  if (typeof path !== "string" || typeof message !== "string") return undefined;
  const field =
    path
      .split("/")
      .filter((p) => p !== "" && !/^\d+$/.test(p))
      .pop() ?? "";
  const what = FIELD_WORDS[field] ?? (field === "" ? "the input" : field);
  return `${what} ${phrase(field, message)}`;
}
