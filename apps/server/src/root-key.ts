/**
 * Where the root key comes from (SPEC §5): COFFER_ROOT_KEY (base64), COFFER_ROOT_KEY_FILE, or
 * on the embedded default `<data dir>/root.key`, created with mode 0600 on first start. Older
 * keys that still unwrap come from `<file>.previous` and COFFER_PREVIOUS_ROOT_KEYS. Rotation
 * and the start-up check that finishes an interrupted one are in root-key-rotation.ts; the
 * files themselves in root-key-files.ts. No root key ever travels over the API.
 */
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Config } from "./env.js";
import { createKeyFile, parseKeys, previousFileOf, readKeys } from "./root-key-files.js";

export interface RootKeys {
  /** The active root key first, then older ones that still unwrap. */
  keys: Buffer[];
  /** Set when this start created the key file. */
  createdFile?: string;
}

function parse(text: string, source: string): Buffer {
  const [key, ...more] = parseKeys(text, source);
  if (!key || more.length > 0)
    throw new Error(`the root key in ${source} is not 32 bytes of base64`);
  return key;
}

/** The key file, or undefined when the root key comes from COFFER_ROOT_KEY. */
export const keyFileOf = (config: Config): string | undefined =>
  config.rootKey !== undefined
    ? undefined
    : (config.rootKeyFile ?? path.join(config.dataDir, "root.key"));

export const previousFromEnv = (config: Config): Buffer[] =>
  config.previousRootKeys.map((k, i) => parse(k, `COFFER_PREVIOUS_ROOT_KEYS[${i}]`));

/** The root keys as configured now (files read again), or undefined if the key file is gone. */
export async function readRootKeys(config: Config): Promise<Buffer[] | undefined> {
  const previous = previousFromEnv(config);
  const file = keyFileOf(config);
  if (file === undefined) return [parse(config.rootKey!, "COFFER_ROOT_KEY"), ...previous];
  const [current] = (await readKeys(file)) ?? [];
  if (!current) return undefined;
  return [current, ...((await readKeys(previousFileOf(file))) ?? []), ...previous];
}

export async function loadRootKeys(config: Config): Promise<RootKeys> {
  const keys = await readRootKeys(config);
  if (keys) return { keys };
  const file = keyFileOf(config)!;
  if (config.rootKeyFile !== undefined)
    throw new Error(`COFFER_ROOT_KEY_FILE ${file} does not exist`);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  try {
    await createKeyFile(file, [key]);
  } catch (error) {
    // A replica sharing the folder created it first: use that one.
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return loadRootKeys(config);
  }
  return { keys: [key, ...previousFromEnv(config)], createdFile: file };
}
