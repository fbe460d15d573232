/**
 * Variables whose values hold references, `op run` style: `FOO={vault://coffer/ml/key}` in the
 * environment `coffer run` inherits, or in an `--env-file` (dotenv syntax, read by the `dotenv`
 * package). Every `{vault://coffer/…}` in a value is replaced by the secret (a value may hold
 * several, and text around them: `Bearer {vault://coffer/ml/token}`); a variable without one
 * passes as it is. Only the `coffer` backend is read here: a reference to another backend
 * (`{vault://env/…}`) is left as written, for the command to resolve (the gateway app reads
 * its own); a malformed reference that names coffer is an error naming the variable (never the
 * rest of the value).
 */
import { readFile } from "node:fs/promises";
import {
  findVaultReferences,
  ReferenceSyntaxError,
  revealItemOf,
  type FoundReference,
  type RevealInput,
} from "@coffer/core";
import { parse } from "dotenv";
import { CliError } from "../errors.js";

const COFFER_PREFIX = "{vault://coffer/";

/** A variable with the references found in its value. */
export interface TemplatedVariable {
  name: string;
  value: string;
  /** Where it came from, for errors: `the environment` or `--env-file .env`. */
  from: string;
  found: FoundReference[];
  items: RevealInput[];
}

/** The variables of `env` that hold references (the others need nothing). */
export function templatedVariables(env: NodeJS.ProcessEnv, from: string): TemplatedVariable[] {
  const out: TemplatedVariable[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !value.includes(COFFER_PREFIX)) continue;
    let found: FoundReference[];
    try {
      found = findVaultReferences(value).filter((f) => f.reference.backend === "coffer");
    } catch (error) {
      if (error instanceof ReferenceSyntaxError) {
        throw new CliError(
          `not started: ${name} (${from}) holds a malformed reference: ${error.reason}`,
        );
      }
      throw error;
    }
    out.push({ name, value, from, found, items: found.map((f) => revealItemOf(f.reference)) });
  }
  return out;
}

/** The value with each reference replaced by its secret (`values` in the order of `found`). */
export function spliceValues(variable: TemplatedVariable, values: readonly string[]): string {
  let out = "";
  let at = 0;
  variable.found.forEach((f, i) => {
    out += variable.value.slice(at, f.start) + values[i]!;
    at = f.end;
  });
  return out + variable.value.slice(at);
}

/** An `--env-file`: every variable it sets, as the `dotenv` package reads the file. */
export async function readEnvFile(file: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new CliError(
      `not started: cannot read --env-file ${file}: ${code === "ENOENT" ? "no such file" : code}`,
    );
  }
  return parse(text);
}
