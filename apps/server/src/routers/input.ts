/**
 * tRPC input parsers from core's compiled schemas: every input is checked before a handler
 * runs, whatever arrives. `_input`/`_output` only carry types (tRPC reads them to type the
 * client); inputs whose fields are all optional may be left out (counted as `{}`).
 */
import { validateOrThrow, type Validator } from "@coffer/core";

export interface InputParser<TIn, TOut> {
  _input: TIn;
  _output: TOut;
  parse(raw: unknown): TOut;
  /** The schema, for tests that walk every procedure's fields (input-fuzz.test.ts). */
  schema: object;
}

function parser<TIn, TOut>(validate: Validator<TOut>, what: string): InputParser<TIn, TOut> {
  const parse = (raw: unknown): TOut =>
    validateOrThrow(validate, raw === undefined ? {} : raw, what);
  return { parse, schema: validate.schema } as InputParser<TIn, TOut>;
}

export const input = <T>(validate: Validator<T>, what = "input"): InputParser<T, T> =>
  parser<T, T>(validate, what);

export const optionalInput = <T>(
  validate: Validator<T>,
  what = "input",
): InputParser<T | undefined, T> => parser<T | undefined, T>(validate, what);
