/**
 * One ajv instance, every schema compiled once on its first use, and one way to turn a failed
 * validation into the SPEC's INVALID_REQUEST error. Error text names the field and the rule,
 * never the rejected data.
 */
import { Buffer } from "node:buffer";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { invalidRequest, type CofferError, type ErrorBody } from "./errors.js";
import type { Grant, RandomSecretOptions, TokenScope } from "./model/types.js";
import * as schemas from "./schemas.js";

/** A compiled schema: a type guard that leaves its errors in `.errors`. */
export interface Validator<T> {
  (data: unknown): data is T;
  errors?: ErrorObject[] | null | undefined;
  /** Compiles now (tests prove that every schema compiles). */
  compile(): void;
  /** The schema as written (tests walk it to find every field). */
  readonly schema: object;
}

export const ajv = new Ajv({ strict: true, allErrors: false, coerceTypes: false });

/**
 * Text PostgreSQL can store as it was sent: no NUL (U+0000, which text and jsonb refuse) and
 * no lone surrogate (which the driver would silently turn into U+FFFD, and jsonb refuses).
 */
export function isStorableText(text: string): boolean {
  return !text.includes("\u0000") && text.isWellFormed();
}

/** Why `text` is not storable, in words for an error message; undefined when it is. */
export function unstorableTextProblem(text: string): string | undefined {
  if (text.includes("\u0000")) return "must not contain a NUL character (U+0000)";
  if (!text.isWellFormed()) return "must be valid Unicode text (it holds a lone surrogate)";
  return undefined;
}

/**
 * The first string in `value` (a key or a value, at any depth) that is not storable text, for
 * data decoded from a request that no schema checks (an ID token's claims). `path` is a JSON
 * Pointer without the leading `/` (`iss`, `aud/1`).
 */
export function findUnstorableText(
  value: unknown,
  path = "",
): { path: string; problem: string } | undefined {
  if (typeof value === "string") {
    const problem = unstorableTextProblem(value);
    return problem === undefined ? undefined : { path, problem };
  }
  if (typeof value !== "object" || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const at = path === "" ? key : `${path}/${key}`;
    const problem = unstorableTextProblem(key);
    if (problem !== undefined) return { path: at, problem: `has a name that ${problem}` };
    const inner = findUnstorableText(item, at);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

/**
 * `storableText: true` (see isStorableText). compileSchema adds it to every string schema
 * that does not say `storableText: false`, so no request schema can forget it.
 */
ajv.addKeyword({
  keyword: "storableText",
  type: "string",
  schemaType: "boolean",
  errors: true,
  validate: function storableText(wanted: boolean, data: string): boolean {
    if (!wanted) return true;
    const problem = unstorableTextProblem(data);
    if (problem === undefined) return true;
    (storableText as { errors?: Partial<ErrorObject>[] }).errors = [
      { keyword: "storableText", message: problem, params: {} },
    ];
    return false;
  },
});

const MIN_YEAR = 1;
const MAX_YEAR = 9999;
const DATE_TIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|([+-])(\d{2}):(\d{2})))?$/i;

/**
 * `format: "date-time"`: RFC 3339 (`2026-01-31T12:00:00Z`, an offset instead of Z, or a date
 * alone for midnight UTC), a real calendar date and time, years 0001 to 9999: PostgreSQL has no
 * year 0, JavaScript none past 275760, and a time without an offset would be read in the
 * server's time zone.
 */
export function isDateTime(text: string): boolean {
  const m = DATE_TIME_RE.exec(text);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) =>
    Number(m[i] ?? 0),
  ) as [number, number, number, number, number, number];
  if (year < MIN_YEAR || year > MAX_YEAR) return false;
  if (m[4] !== undefined && m[7] === undefined && !/Z$/i.test(text)) return false;
  if (m[8] !== undefined && (Number(m[8]) > 23 || Number(m[9]) > 59)) return false;
  const at = new Date(0);
  at.setUTCFullYear(year, month - 1, day);
  at.setUTCHours(hour, minute, second);
  return (
    at.getUTCFullYear() === year &&
    at.getUTCMonth() === month - 1 &&
    at.getUTCDate() === day &&
    at.getUTCHours() === hour &&
    at.getUTCMinutes() === minute &&
    at.getUTCSeconds() === second
  );
}

ajv.addFormat("date-time", { type: "string", validate: isDateTime });

ajv.addKeyword({
  keyword: "utf8MaxBytes",
  type: "string",
  schemaType: "number",
  errors: true,
  validate: function utf8MaxBytes(limit: number, data: string): boolean {
    const self = utf8MaxBytes as { errors?: Partial<ErrorObject>[] };
    if (!data.isWellFormed()) {
      self.errors = [{ keyword: "utf8MaxBytes", message: "must be valid UTF-8 text", params: {} }];
      return false;
    }
    if (Buffer.byteLength(data, "utf8") > limit) {
      self.errors = [
        { keyword: "utf8MaxBytes", message: `must be at most ${limit} bytes`, params: { limit } },
      ];
      return false;
    }
    return true;
  },
});

/**
 * A validator for a schema, compiled by the project's ajv instance on its first call: compiling
 * every schema at import took ~150 ms, which every process importing core paid (the CLI and
 * the Action start afresh on each run).
 */
export function compileSchema<T>(schema: object): Validator<T> {
  let compiled: ValidateFunction<T> | undefined;
  const compile = (): ValidateFunction<T> =>
    (compiled ??= ajv.compile<T>(withStorableText(schema) as object));
  const validate = ((data: unknown): data is T => {
    const check = compile();
    const valid = check(data);
    validate.errors = check.errors;
    return valid;
  }) as Validator<T>;
  validate.compile = () => void compile();
  Object.defineProperty(validate, "schema", { value: schema });
  return validate;
}

/** A copy of `schema` where every string schema without `storableText` gets `storableText: true`. */
function withStorableText(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withStorableText);
  if (typeof schema !== "object" || schema === null) return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) copy[key] = withStorableText(value);
  if (copy["type"] === "string" && !("storableText" in copy)) copy["storableText"] = true;
  return copy;
}

export interface ValidationIssue {
  path: string;
  message: string;
}

const MAX_FIELD_NAME_SHOWN = 64;

function describeIssue(error: ErrorObject): ValidationIssue {
  const path = error.instancePath === "" ? "/" : error.instancePath;
  const params = error.params as Record<string, unknown>;
  if (error.keyword === "additionalProperties") {
    // Shown escaped: the name may hold control characters or half of a surrogate pair.
    const field = JSON.stringify(
      String(params["additionalProperty"]).slice(0, MAX_FIELD_NAME_SHOWN),
    );
    return { path, message: `unknown field ${field}` };
  }
  if (error.keyword === "format" && params["format"] === "date-time") {
    return {
      path,
      message: `must be a date and time from year ${MIN_YEAR} to ${MAX_YEAR}, as 2026-01-31T12:00:00Z (an offset or Z after a time)`,
    };
  }
  if (error.keyword === "false schema") {
    // A field a schema forbids in this combination (`every` with `cron`, a kind's settings
    // under another kind): say with what, where the schema says it.
    const other = /^#\/dependencies\/([^/]+)\//.exec(error.schemaPath)?.[1];
    const message = other
      ? `cannot be given together with "${other}"`
      : "is not allowed with the other fields given";
    return { path, message };
  }
  return { path, message: error.message ?? `fails ${error.keyword}` };
}

/** INVALID_REQUEST naming the field: `invalid <what> at <path>: <message>`. */
export function invalidField(what: string, issues: readonly ValidationIssue[]): CofferError {
  const first = issues[0];
  const where = first && first.path !== "/" ? ` at ${first.path}` : "";
  return invalidRequest(`invalid ${what}${where}: ${first?.message ?? "rejected"}`, {
    issues: [...issues],
  });
}

/** Returns `data` typed when it passes, else throws INVALID_REQUEST naming what and where. */
export function validateOrThrow<T>(validate: Validator<T>, data: unknown, what: string): T {
  if (validate(data)) return data;
  const issues = (validate.errors ?? []).map(describeIssue);
  // Where a field may take several forms (anyOf), each form's complaint is listed: the deepest
  // one names the field that is wrong (`/conditions/ref/0`, not `/conditions/ref`).
  const deepest = issues.reduce<ValidationIssue | undefined>(
    (best, issue) => (best === undefined || issue.path.length > best.path.length ? issue : best),
    undefined,
  );
  throw invalidField(what, deepest ? [deepest, ...issues.filter((i) => i !== deepest)] : issues);
}

export const validators = {
  principalName: compileSchema<string>(schemas.principalNameSchema),
  orgName: compileSchema<string>(schemas.orgNameSchema),
  secretName: compileSchema<string>(schemas.secretNameSchema),
  secretValue: compileSchema<string>(schemas.secretValueSchema),
  description: compileSchema<string>(schemas.descriptionSchema),
  secretUri: compileSchema<string>(schemas.secretUriSchema),
  grantResource: compileSchema<string>(schemas.grantResourceSchema),
  scopeResource: compileSchema<string>(schemas.scopeResourceSchema),
  grant: compileSchema<Grant>(schemas.grantSchema),
  tokenScope: compileSchema<TokenScope>(schemas.tokenScopeSchema),
  tokenScopes: compileSchema<TokenScope[]>(schemas.tokenScopesSchema),
  randomSecretOptions: compileSchema<RandomSecretOptions>(schemas.randomSecretOptionsSchema),
  referenceText: compileSchema<string>(schemas.referenceTextSchema),
  errorBody: compileSchema<ErrorBody>(schemas.errorBodySchema),
} as const;
