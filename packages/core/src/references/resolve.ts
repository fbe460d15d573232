/**
 * Resolving references through a resolver (a backend, a cache, a server client). All the
 * references of one call go to the resolver in one batch, each distinct reference once; the
 * results are spliced into the original text, so a resolved value is never scanned again.
 */
import { CofferError } from "../errors.js";
import {
  findVaultReferences,
  forEachJsonString,
  mapJsonStrings,
  type FoundReference,
  type JsonValue,
} from "./find-references.js";
import { parseTemplate, templateToVaultReference } from "./template.js";
import { referenceIdentity, type ParseOptions, type VaultReference } from "./vault-reference.js";

export type ResolveOutcome = { ok: true; value: string } | { ok: false; error: CofferError };

export interface ReferenceResolver {
  /** One outcome per reference, in order. References given are distinct. */
  resolve(references: readonly VaultReference[]): Promise<readonly ResolveOutcome[]>;
}

interface Plan {
  found: FoundReference[][];
  distinct: Map<string, VaultReference>;
}

function plan(texts: readonly string[], options: ParseOptions): Plan {
  const distinct = new Map<string, VaultReference>();
  const found = texts.map((text) => {
    const refs = findVaultReferences(text, options);
    for (const f of refs) {
      const id = referenceIdentity(f.reference, options);
      if (!distinct.has(id)) distinct.set(id, f.reference);
    }
    return refs;
  });
  return { found, distinct };
}

/** Fetches every distinct reference once; the first failure throws, naming its reference. */
async function fetchAll(
  distinct: Map<string, VaultReference>,
  resolver: ReferenceResolver,
): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  if (distinct.size === 0) return values;
  const ids = [...distinct.keys()];
  const outcomes = await resolver.resolve([...distinct.values()]);
  ids.forEach((id, i) => {
    const outcome = outcomes[i];
    if (!outcome)
      throw new CofferError("INTERNAL_SERVER_ERROR", `the resolver gave no answer for ${id}`);
    if (!outcome.ok) {
      throw new CofferError(
        outcome.error.errorCode,
        `cannot resolve ${id}: ${outcome.error.message}`,
        {
          ...outcome.error.details,
          reference: id,
        },
      );
    }
    values.set(id, outcome.value);
  });
  return values;
}

function splice(
  text: string,
  found: readonly FoundReference[],
  values: Map<string, string>,
  options: ParseOptions,
): string {
  if (found.length === 0) return text;
  let out = "";
  let at = 0;
  for (const f of found) {
    out += text.slice(at, f.start) + values.get(referenceIdentity(f.reference, options))!;
    at = f.end;
  }
  return out + text.slice(at);
}

/** Resolves the references in several strings with one resolver call. */
export async function resolveStrings(
  texts: readonly string[],
  resolver: ReferenceResolver,
  options: ParseOptions = {},
): Promise<string[]> {
  const { found, distinct } = plan(texts, options);
  const values = await fetchAll(distinct, resolver);
  return texts.map((text, i) => splice(text, found[i]!, values, options));
}

export async function resolveString(
  text: string,
  resolver: ReferenceResolver,
  options: ParseOptions = {},
): Promise<string> {
  const [out] = await resolveStrings([text], resolver, options);
  return out!;
}

/** Resolves the references in every string leaf of a JSON tree, with one resolver call. */
export async function resolveJson(
  tree: JsonValue,
  resolver: ReferenceResolver,
  options: ParseOptions = {},
): Promise<JsonValue> {
  const leaves: string[] = [];
  forEachJsonString(tree, (text) => leaves.push(text));
  const resolved = await resolveStrings(leaves, resolver, options);
  let i = 0;
  return mapJsonStrings(tree, () => resolved[i++]!);
}

/** Renders a `${…}` template, every distinct reference fetched once through the resolver. */
export async function resolveTemplate(text: string, resolver: ReferenceResolver): Promise<string> {
  const parts = parseTemplate(text);
  const distinct = new Map<string, VaultReference>();
  for (const part of parts) {
    if (part.kind === "ref") {
      const reference = templateToVaultReference(part.ref);
      distinct.set(referenceIdentity(reference), reference);
    }
  }
  const values = await fetchAll(distinct, resolver);
  return parts
    .map((part) =>
      part.kind === "text"
        ? part.text
        : values.get(referenceIdentity(templateToVaultReference(part.ref)))!,
    )
    .join("");
}
