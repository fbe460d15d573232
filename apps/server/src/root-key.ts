/**
 * Where the root key comes from (SPEC §5): COFFER_ROOT_KEY (base64), COFFER_ROOT_KEY_FILE, or
 * on the embedded default `<data dir>/root.key`, created with mode 0600 on first start.
 *
 * Rotation (online): with a key file, a new key is written first and the old one kept as
 * `<file>.previous` (loaded at start as a previous key), then protection keys are re-wrapped
 * in one transaction: a crash in between loses nothing. With COFFER_ROOT_KEY, operators start
 * with the new key there and the old one in COFFER_PREVIOUS_ROOT_KEYS, and rotation re-wraps
 * every protection key under the active key. No root key ever travels over the API.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseRootKey } from "@coffer/core";
import type { Config } from "./env.js";

export interface RootKeys {
  /** The active root key first, then older ones that still unwrap. */
  keys: Buffer[];
  /** Set when this start created the key file. */
  createdFile?: string;
}

function parse(text: string, source: string): Buffer {
  try {
    return parseRootKey(text);
  } catch {
    throw new Error(`the root key in ${source} is not 32 bytes of base64`);
  }
}

const keyFileOf = (config: Config): string =>
  config.rootKeyFile ?? path.join(config.dataDir, "root.key");

async function readKeyFile(file: string): Promise<Buffer | undefined> {
  try {
    const info = await stat(file);
    if ((info.mode & 0o077) !== 0) await chmod(file, 0o600);
    return parse(await readFile(file, "utf8"), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

export async function loadRootKeys(config: Config): Promise<RootKeys> {
  const previous = config.previousRootKeys.map((k, i) =>
    parse(k, `COFFER_PREVIOUS_ROOT_KEYS[${i}]`),
  );
  if (config.rootKey !== undefined)
    return { keys: [parse(config.rootKey, "COFFER_ROOT_KEY"), ...previous] };
  const file = keyFileOf(config);
  const before = await readKeyFile(`${file}.previous`);
  const current = await readKeyFile(file);
  if (current) return { keys: [current, ...(before ? [before] : []), ...previous] };
  if (config.rootKeyFile !== undefined)
    throw new Error(`COFFER_ROOT_KEY_FILE ${file} does not exist`);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  await writeFile(file, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  return { keys: [key, ...previous], createdFile: file };
}

/** The root key to re-wrap protection keys under, made durable before any row is touched. */
export async function nextRootKey(config: Config, active: Buffer): Promise<Buffer> {
  if (config.rootKey !== undefined) return active;
  const file = keyFileOf(config);
  const next = randomBytes(32);
  await writeFile(`${file}.next`, `${next.toString("base64")}\n`, { mode: 0o600 });
  await writeFile(`${file}.previous`, `${active.toString("base64")}\n`, { mode: 0o600 });
  await rename(`${file}.next`, file);
  return next;
}
