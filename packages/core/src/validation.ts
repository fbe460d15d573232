/**
 * One ajv instance, every schema compiled once on its first use, and one way to turn a failed
 * validation into the SPEC's INVALID_REQUEST error. Error text names the field and the rule,
 * never the rejected data.
 */
import { Buffer } from "node:buffer";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { invalidRequest, type ErrorBody } from "./errors.js";
import type { Grant, RandomSecretOptions, TokenScope } from "./model/types.js";
import * as schemas from "./schemas.js";

/** A compiled schema: a type guard that leaves its errors in `.errors`. */
export interface Validator<T> {
  (data: unknown): data is T;
  errors?: ErrorObject[] | null | undefined;
  /** Compiles now (tests prove that every schema compiles). */
  compile(): void;
}

export const ajv = new Ajv({ strict: true, allErrors: false, coerceTypes: false });

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
  const compile = (): ValidateFunction<T> => (compiled ??= ajv.compile<T>(schema));
  const validate = ((data: unknown): data is T => {
    const check = compile();
    const valid = check(data);
    validate.errors = check.errors;
    return valid;
  }) as Validator<T>;
  validate.compile = () => void compile();
  return validate;
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
    const field = String(params["additionalProperty"]).slice(0, MAX_FIELD_NAME_SHOWN);
    return { path, message: `unknown field "${field}"` };
  }
  return { path, message: error.message ?? `fails ${error.keyword}` };
}

/** Returns `data` typed when it passes, else throws INVALID_REQUEST naming what and where. */
export function validateOrThrow<T>(validate: Validator<T>, data: unknown, what: string): T {
  if (validate(data)) return data;
  const issues = (validate.errors ?? []).map(describeIssue);
  const first = issues[0];
  const where = first && first.path !== "/" ? ` at ${first.path}` : "";
  throw invalidRequest(`invalid ${what}${where}: ${first?.message ?? "rejected"}`, {
    issues,
  });
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
