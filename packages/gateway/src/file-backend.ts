/**
 * The `file` backend, Kong's rules (SPEC §6.1): the file is root / `?prefix=` / resource
 * segments; plain contents, or with a key a JSON object whose key picks a string.
 *
 * - Plain names only: no `.`/`..` pieces and no `/` or `\` inside a segment (see namesFiles).
 * - Confined to `root`: the path is checked before anything is touched, then its real path
 *   (symlinks followed) must still be inside the real root; `..`, absolute segments and
 *   symlinks that lead out are refused with FORBIDDEN.
 * - One trailing newline ("\n" or "\r\n") is stripped from plain contents: editors and `echo`
 *   add one, and a credential never ends with it. JSON files are parsed whole.
 * - Files are read asynchronously and must be regular files of at most 1 MiB.
 * - A root that is the file system's or a system folder is refused when the backend is made
 *   (see file-root.ts).
 */
import { constants } from "node:fs";
import { open, realpath } from "node:fs/promises";
import path from "node:path";
import {
  CofferError,
  DEFAULT_BACKENDS,
  forbidden,
  invalidRequest,
  notFound,
  pickJsonKey,
  referenceIdentity,
  unprocessable,
  type BackendSyntax,
  type VaultReference,
} from "@coffer/core";
import { fileRootProblem } from "./file-root.js";
import { outcomeOf, success } from "./outcome.js";
import type { Backend } from "./types.js";

export interface FileBackendOptions {
  /** The directory references are read under. */
  root: string;
}

const MAX_FILE_BYTES = 1024 * 1024;

export const fileSyntax: BackendSyntax = {
  ...DEFAULT_BACKENDS["file"]!,
  checkReference: (ref) =>
    ref.version !== undefined ? "the file backend has no versions" : undefined,
};

/** `inner` is `root` itself or below it (both absolute and normalised). */
function isInside(root: string, inner: string): boolean {
  const relative = path.relative(root, inner);
  return (
    relative !== "" &&
    relative !== ".." &&
    !relative.startsWith(`..${path.sep}`) &&
    !path.isAbsolute(relative)
  );
}

/**
 * Pieces of a reference name files by plain names only: a segment (even an escaped one) holds
 * no `/` or `\`, the prefix may name sub-directories but never `.`, `..` or an absolute path,
 * and nothing holds NUL. Checked before any path is built, so that an allow-list pattern like
 * `{vault://file/public/*}` can never reach `public/../private`, whatever the root check says.
 */
function namesFiles(prefix: string, resource: readonly string[]): boolean {
  const plain = (name: string): boolean => name !== "." && name !== ".." && !name.includes("\0");
  if (prefix.startsWith("/") || prefix.includes("\\")) return false;
  if (!prefix.split("/").every((name) => name === "" || plain(name))) return false;
  return resource.every((name) => plain(name) && !name.includes("/") && !name.includes("\\"));
}

const errnoOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
};

export function fileBackend(options: FileBackendOptions): Backend {
  const problem = fileRootProblem(options.root);
  if (problem !== undefined) throw invalidRequest(`file.root: ${problem}`, { option: "file.root" });
  const root = path.resolve(options.root);
  let realRoot: Promise<string> | undefined;
  const parseOptions = { backends: { file: fileSyntax } };

  const rootPath = (): Promise<string> => {
    realRoot ??= realpath(root).catch((error: unknown) => {
      realRoot = undefined; // try again next time: the directory may appear
      throw new CofferError("INTERNAL_SERVER_ERROR", "the file backend's root is not readable", {
        reason: errnoOf(error) ?? "unknown",
      });
    });
    return realRoot;
  };

  const read = async (ref: VaultReference): Promise<string> => {
    const label = referenceIdentity(ref, parseOptions);
    const base = await rootPath();
    const prefix = ref.options["prefix"] ?? "";
    const parts = [prefix, ...ref.resource];
    if (!namesFiles(prefix, ref.resource)) throw forbidden(`${label}: not a file name`);
    const wanted = path.resolve(base, ...parts);
    if (!isInside(base, wanted)) throw forbidden(`${label}: outside the file backend's root`);
    let real: string;
    try {
      real = await realpath(wanted);
    } catch (error) {
      throw fileError(error, label);
    }
    if (!isInside(base, real)) throw forbidden(`${label}: outside the file backend's root`);
    const contents = await readSmallFile(real, label);
    if (ref.key !== undefined) return pickJsonKey(contents, ref.key, label);
    return contents.endsWith("\r\n")
      ? contents.slice(0, -2)
      : contents.endsWith("\n")
        ? contents.slice(0, -1)
        : contents;
  };

  return {
    name: "file",
    syntax: fileSyntax,
    fetch(references) {
      return Promise.all(
        references.map((ref) =>
          read(ref).then(success, (error: unknown) => outcomeOf(error, "the file backend")),
        ),
      );
    },
  };
}

async function readSmallFile(file: string, label: string): Promise<string> {
  let handle;
  try {
    // O_NOFOLLOW: the checked real path must not have become a symlink since; O_NONBLOCK: a
    // FIFO must not hang the open (it is refused below as not a regular file).
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    throw fileError(error, label);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw notFound(`${label}: not a regular file`);
    if (stat.size > MAX_FILE_BYTES) {
      throw unprocessable(`${label}: larger than ${MAX_FILE_BYTES} bytes`);
    }
    return await handle.readFile({ encoding: "utf8" });
  } catch (error) {
    throw error instanceof CofferError ? error : fileError(error, label);
  } finally {
    await handle.close();
  }
}

function fileError(error: unknown, label: string): CofferError {
  switch (errnoOf(error) ?? "") {
    case "ENOENT":
    case "ENOTDIR":
      return notFound(`${label}: no such file`);
    case "EACCES":
    case "EPERM":
    case "ELOOP":
      return forbidden(`${label}: the file cannot be read`);
    case "EISDIR":
      return notFound(`${label}: not a regular file`);
    default:
      return new CofferError("INTERNAL_SERVER_ERROR", `${label}: the file cannot be read`, {
        reason: errnoOf(error) ?? "unknown",
      });
  }
}
