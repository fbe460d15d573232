/**
 * tRPC input parsers from core's compiled schemas: every input is checked before a handler
 * runs. A missing input (a query without `?input=`) counts as `{}`.
 */
import { validateOrThrow, type Validator } from "@coffer/core";

export function input<T>(validate: Validator<T>, what = "input"): (raw: unknown) => T {
  return (raw) => validateOrThrow(validate, raw === undefined ? {} : raw, what);
}
