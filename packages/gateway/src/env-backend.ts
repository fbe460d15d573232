/**
 * The `env` backend, Kong's rules (SPEC §6.1): the variable is prefix + resource with `-` → `_`,
 * uppercased; with a key the variable holds a JSON object and the key picks a string out of it;
 * `#2` reads `<NAME>_PREVIOUS`.
 *
 * The backend's own `prefix` option is always put in front of the variable name, so references
 * can only read variables under it (a reference's `?prefix=` comes after it).
 */
import {
  DEFAULT_BACKENDS,
  envVariableName,
  notFound,
  pickJsonKey,
  referenceIdentity,
  type BackendSyntax,
  type VaultReference,
} from "@coffer/core";
import { processEnvironment } from "./env.js";
import { outcomeOf, success } from "./outcome.js";
import type { Backend } from "./types.js";

export interface EnvBackendOptions {
  /** Default: `process.env`. */
  variables?: Readonly<Record<string, string | undefined>>;
  /** Put in front of every variable name, as given (not uppercased). */
  prefix?: string;
}

export const envSyntax: BackendSyntax = {
  ...DEFAULT_BACKENDS["env"]!,
  checkReference: (ref) =>
    ref.version !== undefined && ref.version > 2
      ? "the env backend has version 1 (current) and 2 (<NAME>_PREVIOUS)"
      : undefined,
};

export function envBackend(options: EnvBackendOptions = {}): Backend {
  const variables = options.variables ?? processEnvironment();
  const prefix = options.prefix ?? "";
  const parseOptions = { backends: { env: envSyntax } };

  const read = (ref: VaultReference): string => {
    const label = referenceIdentity(ref, parseOptions);
    const name = prefix + envVariableName(ref);
    const value = Object.hasOwn(variables, name) ? variables[name] : undefined;
    if (value === undefined) {
      throw notFound(`${label}: environment variable ${name} is not set`, { variable: name });
    }
    return ref.key === undefined ? value : pickJsonKey(value, ref.key, label);
  };

  return {
    name: "env",
    syntax: envSyntax,
    fetch(references) {
      return Promise.resolve(
        references.map((ref) => {
          try {
            return success(read(ref));
          } catch (error) {
            return outcomeOf(error, "the env backend");
          }
        }),
      );
    },
  };
}
