/**
 * Kong's `env` vault rules, pure so that every app applies the same ones: the variable is
 * prefix + resource with `-` → `_`, uppercased; `#2` reads `<NAME>_PREVIOUS`.
 */
import { ReferenceSyntaxError } from "./reference-error.js";
import { formatVaultReference, type VaultReference } from "./vault-reference.js";

export function envVariableName(ref: VaultReference): string {
  const name = ((ref.options["prefix"] ?? "") + ref.resource.join("/"))
    .replaceAll("-", "_")
    .toUpperCase();
  if (ref.version === undefined || ref.version === 1) return name;
  if (ref.version === 2) return `${name}_PREVIOUS`;
  throw new ReferenceSyntaxError(
    "the env backend has version 1 (current) and 2 (<NAME>_PREVIOUS)",
    formatVaultReference(ref),
    0,
  );
}
