/**
 * Where a value comes from: `VALUE` as typed, `@FILE` (the file's exact contents; `@~/…` is in
 * the home directory, as Neu.ro's CLI takes it), or `-` (standard input, exactly as given).
 * A value is text: bytes that are not UTF-8 are refused, never replaced, since a replaced byte
 * would silently store something else. Errors name the file, never the contents.
 */
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CliError } from "./errors.js";

/** `~` and `~/…` in the home directory (the shell does not expand `@~/file`). */
export function expandHome(file: string): string {
  if (file === "~") return os.homedir();
  return file.startsWith("~/") ? path.join(os.homedir(), file.slice(2)) : file;
}

/** The bytes as text, or a clear refusal; a byte order mark is kept, as every other byte. */
export function utf8Text(bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new CliError(
      `${what} is not UTF-8 text: a secret value is text (encode binary data, e.g. with base64)`,
    );
  }
}

/** A file's contents as UTF-8 text; a missing or unreadable file is named with the reason. */
export async function readTextFile(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new CliError(`cannot read ${file}: ${code === "ENOENT" ? "no such file" : code}`);
  }
  return utf8Text(bytes, file);
}

export async function readValue(source: string, stdin: () => Promise<string>): Promise<string> {
  if (source === "-") return stdin();
  if (source.startsWith("@") && source.length > 1) return readTextFile(expandHome(source.slice(1)));
  return source;
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return utf8Text(Buffer.concat(chunks), "standard input");
}
