/**
 * The `secrets` and `files` inputs (SPEC §10), one request per line: `REF [> TARGET]`.
 *
 * - REF is a `coffer` path (`NAME`, `OWNER/NAME`, `OWNER/NAME/KEY`, with `#N` for a version) or
 *   a whole `{vault://coffer/…}` reference; `OWNER/*` asks for every secret readable there.
 * - In `secrets`, TARGET is the environment variable (for `OWNER/*`, a prefix put before each
 *   secret's name). Without it the name is the secret's name, or its key, uppercased with
 *   `-` → `_`. A prefix that starts a reserved family (`GITHUB_…`, reserved-variables.ts) is
 *   refused here; the names a wildcard brings are checked once listed (fetch-plan.ts).
 * - In `files`, TARGET is the file's path, and is required; `OWNER/*` is not allowed there.
 * - Blank lines and lines starting with `#` are skipped.
 *
 * Parsing is pure; every error names its input and line ("secrets line 3: …").
 */
import {
  DEFAULT_BACKENDS,
  envNameOf,
  suggestedPrefix,
  parseVaultReference,
  PRINCIPAL_NAME_RE,
  ReferenceSyntaxError,
  VAULT_PREFIX,
  type VaultReference,
} from "@coffer/core";
import { reservedPrefixOf } from "./reserved-variables.js";

/** One secret (or one key of one), to an environment variable or a file. */
export interface OneRequest {
  kind: "one";
  line: number;
  /** REF as the user wrote it (named in errors; a reference is never a value). */
  text: string;
  reference: VaultReference;
  /** The environment variable (secrets) or the file path (files). */
  target: string;
}

/** Every secret of an owner readable by the caller, each to `prefix` + its env name. */
export interface OwnerRequest {
  kind: "owner";
  line: number;
  /** `OWNER/*` as written. */
  text: string;
  owner: string;
  prefix: string;
}

export type SecretRequest = OneRequest | OwnerRequest;

export class InputLineError extends Error {
  constructor(
    readonly input: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${input} line ${line}: ${reason}`);
    this.name = "InputLineError";
  }
}

const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/**
 * Even an explicit line may not set these: a later action would take the value for one of its
 * inputs or for its saved state (an exported `STATE_isPost` makes this action's next main step
 * behave as a post step).
 */
const RUNNER_PROTOCOL_PREFIXES = ["INPUT_", "STATE_"];
const ENV_PREFIX_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const COFFER_ONLY = { backends: { coffer: DEFAULT_BACKENDS["coffer"]! } };
/** Shown in errors: long enough to recognise the line, never the whole of a long one. */
const QUOTE_MAX = 80;

const quote = (text: string): string =>
  JSON.stringify(text.length > QUOTE_MAX ? `${text.slice(0, QUOTE_MAX)}…` : text);

/** Names and prefixes as `coffer run --all` derives them too (core). */
export { envNameOf, suggestedPrefix };

interface RawLine {
  line: number;
  ref: string;
  target: string | undefined;
}

function rawLines(input: string, text: string): RawLine[] {
  const out: RawLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const arrow = trimmed.indexOf(">");
    const ref = (arrow === -1 ? trimmed : trimmed.slice(0, arrow)).trim();
    const target = arrow === -1 ? undefined : trimmed.slice(arrow + 1).trim();
    if (ref === "") throw new InputLineError(input, line, 'nothing before ">"');
    if (target === "") throw new InputLineError(input, line, 'nothing after ">"');
    if (target?.includes(">")) throw new InputLineError(input, line, 'more than one ">"');
    out.push({ line, ref, target });
  });
  return out;
}

/** A `coffer` reference from a short path or a whole `{vault://coffer/…}`. */
function referenceOf(input: string, line: number, text: string): VaultReference {
  let whole = text;
  if (!text.startsWith(VAULT_PREFIX)) {
    const hash = text.indexOf("#");
    const path = hash === -1 ? text : text.slice(0, hash);
    const version = hash === -1 ? "" : text.slice(hash);
    // Segments are taken as written; escaping them lets a key hold any character.
    whole = `${VAULT_PREFIX}coffer/${path.split("/").map(encodeURIComponent).join("/")}${version}}`;
  }
  try {
    return parseVaultReference(whole, COFFER_ONLY);
  } catch (error) {
    if (error instanceof ReferenceSyntaxError) {
      throw new InputLineError(input, line, `${quote(text)} is not a reference: ${error.reason}`);
    }
    throw error;
  }
}

function ownerRequest(input: string, raw: RawLine): OwnerRequest | undefined {
  const match = /^([^/]+)\/\*$/.exec(raw.ref);
  if (!match) return undefined;
  const owner = match[1]!;
  if (!PRINCIPAL_NAME_RE.test(owner)) {
    throw new InputLineError(input, raw.line, `${quote(owner)} is not a user or team name`);
  }
  const prefix = raw.target ?? "";
  if (prefix !== "" && !ENV_PREFIX_RE.test(prefix)) {
    throw new InputLineError(
      input,
      raw.line,
      `${quote(prefix)} cannot start an environment variable name (letters, digits and _)`,
    );
  }
  const reserved = reservedPrefixOf(prefix);
  if (reserved !== undefined) {
    throw new InputLineError(
      input,
      raw.line,
      `prefix ${quote(prefix)} starts with ${reserved}, which a wildcard may not set (reserved variables, see the action's README); choose another prefix, e.g. ${owner}/* > ${suggestedPrefix(owner)}`,
    );
  }
  return { kind: "owner", line: raw.line, text: raw.ref, owner, prefix };
}

/** Parses the `secrets` input; two lines may not set one variable. */
export function parseSecretsInput(text: string): SecretRequest[] {
  const input = "secrets";
  const byTarget = new Map<string, number>();
  return rawLines(input, text).map((raw) => {
    const owner = ownerRequest(input, raw);
    if (owner) return owner;
    const reference = referenceOf(input, raw.line, raw.ref);
    const target = raw.target ?? envNameOf(reference.key ?? reference.resource.at(-1)!);
    if (!ENV_NAME_RE.test(target)) {
      throw new InputLineError(
        input,
        raw.line,
        `${quote(target)} is not an environment variable name (letters, digits and _, not first a digit)`,
      );
    }
    const protocol = RUNNER_PROTOCOL_PREFIXES.find((p) => target.toUpperCase().startsWith(p));
    if (protocol !== undefined) {
      throw new InputLineError(
        input,
        raw.line,
        `${target} starts with ${protocol}, which the runner uses to pass inputs and state to actions: no secret may set it`,
      );
    }
    const earlier = byTarget.get(target.toUpperCase());
    if (earlier !== undefined) {
      throw new InputLineError(input, raw.line, `${target} is already set by line ${earlier}`);
    }
    byTarget.set(target.toUpperCase(), raw.line);
    return { kind: "one", line: raw.line, text: raw.ref, reference, target };
  });
}

/** Parses the `files` input: every line names its file; two lines may not write one file. */
export function parseFilesInput(text: string): OneRequest[] {
  const input = "files";
  const byTarget = new Map<string, number>();
  return rawLines(input, text).map((raw) => {
    if (/\/\*$/.test(raw.ref)) {
      throw new InputLineError(input, raw.line, "OWNER/* is for secrets, not files");
    }
    const reference = referenceOf(input, raw.line, raw.ref);
    if (raw.target === undefined) {
      throw new InputLineError(input, raw.line, 'give the file\'s path after ">"');
    }
    const earlier = byTarget.get(raw.target);
    if (earlier !== undefined) {
      throw new InputLineError(
        input,
        raw.line,
        `${raw.target} is already written by line ${earlier}`,
      );
    }
    byTarget.set(raw.target, raw.line);
    return { kind: "one", line: raw.line, text: raw.ref, reference, target: raw.target };
  });
}
