/**
 * Finds vault references inside longer strings (`Bearer {vault://coffer/openai_key}`, which
 * Kong does not allow) and inside JSON trees (every string leaf).
 */
import { ReferenceSyntaxError } from "./reference-error.js";
import {
  parseVaultReference,
  VAULT_PREFIX,
  type ParseOptions,
  type VaultReference,
} from "./vault-reference.js";

export interface FoundReference {
  /** Offsets of `{` and one past `}` in the string searched. */
  start: number;
  end: number;
  reference: VaultReference;
}

export function containsVaultReference(text: string): boolean {
  return text.includes(VAULT_PREFIX);
}

/** Every reference in `text`, in order; a malformed one throws with its offset in `text`. */
export function findVaultReferences(text: string, options: ParseOptions = {}): FoundReference[] {
  const found: FoundReference[] = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf(VAULT_PREFIX, from);
    if (start === -1) return found;
    const close = text.indexOf("}", start);
    if (close === -1)
      throw new ReferenceSyntaxError('no closing "}"', text.slice(start), text.length - start);
    try {
      found.push({
        start,
        end: close + 1,
        reference: parseVaultReference(text.slice(start, close + 1), options),
      });
    } catch (error) {
      if (error instanceof ReferenceSyntaxError) {
        throw new ReferenceSyntaxError(error.reason, text.slice(start, close + 1), error.position);
      }
      throw error;
    }
    from = close + 1;
  }
}

export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export const MAX_JSON_DEPTH = 64;

/** Calls `visit` on every string leaf of a JSON tree (object keys are not leaves). */
export function forEachJsonString(tree: JsonValue, visit: (text: string) => void, depth = 0): void {
  if (depth > MAX_JSON_DEPTH)
    throw new ReferenceSyntaxError(`JSON nested deeper than ${MAX_JSON_DEPTH}`, "", 0);
  if (typeof tree === "string") visit(tree);
  else if (Array.isArray(tree)) for (const item of tree) forEachJsonString(item, visit, depth + 1);
  else if (tree !== null && typeof tree === "object") {
    for (const value of Object.values(tree)) forEachJsonString(value, visit, depth + 1);
  }
}

/** Rebuilds a JSON tree with every string leaf mapped. */
export function mapJsonStrings(tree: JsonValue, map: (text: string) => string): JsonValue {
  if (typeof tree === "string") return map(tree);
  if (Array.isArray(tree)) return tree.map((item) => mapJsonStrings(item, map));
  if (tree !== null && typeof tree === "object") {
    // fromEntries defines own properties: assigning out["__proto__"] would drop that key.
    return Object.fromEntries(
      Object.entries(tree).map(([key, value]) => [key, mapJsonStrings(value, map)]),
    );
  }
  return tree;
}
