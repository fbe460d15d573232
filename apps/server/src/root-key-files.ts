/**
 * The root key's files, next to the key file `F` (by default `<data dir>/root.key`):
 *
 * - `F`: the active root key, one base64 line.
 * - `F.previous`: older root keys that may still unwrap, one base64 line each (earlier versions
 *   wrote a single line, read the same way).
 * - `F.next.<16 hex>`: the key of a rotation in flight, written durably before the rotation's
 *   transaction; installed as `F` once that has committed, or removed once it is known not to
 *   have. A unique name each time: two rotations never share a file. `F.next` (no suffix) is
 *   the name older versions used, read the same way.
 * - `<name>.tmp.<16 hex>`: a file being written, renamed or linked into place when complete;
 *   one of `F.previous` or `F.next.*` left by a crash is removed.
 *
 * Every write is durable before it counts: the file is flushed, renamed into place, and the
 * folder flushed, so a crash leaves either the old file or the new one, whole.
 */
import { randomBytes } from "node:crypto";
import { chmod, link, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { parseRootKey } from "@coffer/core";

export interface PendingKey {
  path: string;
  key: Buffer;
}

export interface KeyFiles {
  /** The key in `F`, if the file exists. */
  active: Buffer | undefined;
  /** The keys in `F.previous`. */
  previous: Buffer[];
  /** Keys of rotations that did not finish (or are in flight, if the lock is not held). */
  pending: PendingKey[];
  /** Half-written temporary files. */
  strays: string[];
}

export const previousFileOf = (file: string): string => `${file}.previous`;

const uniqueSuffix = (): string => randomBytes(8).toString("hex");

export const pendingFileOf = (file: string): string => `${file}.next.${uniqueSuffix()}`;

/** Reads one or more base64 keys, one a line; the message names the file, never the text. */
export function parseKeys(text: string, source: string): Buffer[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line, i) => {
      try {
        return parseRootKey(line);
      } catch {
        throw new Error(`the root key on line ${i + 1} of ${source} is not 32 bytes of base64`);
      }
    });
}

/** The keys in a file (made private if it was not), or undefined when there is no file. */
export async function readKeys(file: string): Promise<Buffer[] | undefined> {
  try {
    const info = await stat(file);
    if ((info.mode & 0o077) !== 0) await chmod(file, 0o600);
    return parseKeys(await readFile(file, "utf8"), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

export async function readKeyFiles(file: string): Promise<KeyFiles> {
  const dir = path.dirname(file);
  const base = path.basename(file);
  const pendingRe = new RegExp(`^${escapeRe(base)}\\.next(\\.[0-9a-f]{16})?$`);
  const strayRe = new RegExp(
    `^${escapeRe(base)}\\.(previous|next\\.[0-9a-f]{16})\\.tmp\\.[0-9a-f]{16}$`,
  );
  const [active] = (await readKeys(file)) ?? [];
  const previous = (await readKeys(previousFileOf(file))) ?? [];
  const pending: PendingKey[] = [];
  const strays: string[] = [];
  for (const name of await readdir(dir).catch(() => [])) {
    const at = path.join(dir, name);
    if (strayRe.test(name)) strays.push(at);
    if (!pendingRe.test(name)) continue;
    const [key] = (await readKeys(at)) ?? [];
    if (key) pending.push({ path: at, key });
  }
  return { active, previous, pending, strays };
}

const escapeRe = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Creates `file` with `keys`, mode 0600, whole or not at all: written to a temporary file,
 * flushed, then linked into place (EEXIST if `file` exists: never overwritten).
 */
export async function createKeyFile(file: string, keys: readonly Buffer[]): Promise<void> {
  const temp = await writeTemp(file, keys);
  try {
    await link(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
  await syncDir(path.dirname(file));
}

/** Replaces `file` with `keys` at once: a crash leaves the old file or the new one. */
export async function replaceKeyFile(file: string, keys: readonly Buffer[]): Promise<void> {
  await installKeyFile(await writeTemp(file, keys), file);
}

async function writeTemp(file: string, keys: readonly Buffer[]): Promise<string> {
  const temp = `${file}.tmp.${uniqueSuffix()}`;
  const handle = await open(temp, "wx", 0o600);
  try {
    await handle.writeFile(keys.map((k) => `${k.toString("base64")}\n`).join(""));
    await handle.sync();
  } finally {
    await handle.close();
  }
  return temp;
}

/** Renames `from` over `to` and flushes the folder. */
export async function installKeyFile(from: string, to: string): Promise<void> {
  await rename(from, to);
  await syncDir(path.dirname(to));
}

export async function removeFiles(files: readonly string[]): Promise<void> {
  for (const file of files) await rm(file, { force: true });
  for (const dir of new Set(files.map((f) => path.dirname(f)))) await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
