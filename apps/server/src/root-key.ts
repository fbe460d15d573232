/**
 * Where the root key comes from (SPEC §5): COFFER_ROOT_KEY (base64), COFFER_ROOT_KEY_FILE, or
 * on the embedded default `<data dir>/root.key`, created with mode 0600 on first start.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
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

export async function loadRootKeys(config: Config): Promise<RootKeys> {
  const previous = config.previousRootKeys.map((k, i) =>
    parse(k, `COFFER_PREVIOUS_ROOT_KEYS[${i}]`),
  );
  if (config.rootKey !== undefined)
    return { keys: [parse(config.rootKey, "COFFER_ROOT_KEY"), ...previous] };
  const file = config.rootKeyFile ?? path.join(config.dataDir, "root.key");
  try {
    const info = await stat(file);
    if ((info.mode & 0o077) !== 0) await chmod(file, 0o600);
    return { keys: [parse(await readFile(file, "utf8"), file), ...previous] };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    if (config.rootKeyFile !== undefined)
      throw new Error(`COFFER_ROOT_KEY_FILE ${file} does not exist`);
  }
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  await writeFile(file, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  return { keys: [key, ...previous], createdFile: file };
}
