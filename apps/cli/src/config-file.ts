/** The saved login: `<config dir>/config.json`, mode 0600 in a 0700 directory. */
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

export interface SavedLogin {
  url?: string;
  token?: string;
}

const fileOf = (dir: string): string => path.join(dir, "config.json");

export async function loadLogin(dir: string): Promise<SavedLogin> {
  try {
    const parsed: unknown = JSON.parse(await readFile(fileOf(dir), "utf8"));
    if (typeof parsed !== "object" || parsed === null) return {};
    const { url, token } = parsed as Record<string, unknown>;
    return {
      ...(typeof url === "string" ? { url } : {}),
      ...(typeof token === "string" ? { token } : {}),
    };
  } catch {
    return {};
  }
}

export async function saveLogin(dir: string, login: SavedLogin): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = fileOf(dir);
  await writeFile(file, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}
