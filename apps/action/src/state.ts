/**
 * What the main step leaves for the post step (`core.saveState`, read back as `STATE_<name>`),
 * every name and format here. The runner keeps the last value saved under a name.
 * - `isPost`: set first thing in main (once GITHUB_STATE is known to be there: main-step.ts);
 *   its presence is how the one bundle knows it is the post.
 * - `files`: the files written so far (saved after each one, so that even a step stopped
 *   midway has them removed; a failed write removes the others and saves what is left), with
 *   the first directory the action had to create for each.
 * - `url` and `token`: the token an OIDC exchange returned, for the post step to revoke.
 */
import * as core from "@actions/core";

export interface WrittenFile {
  path: string;
  /** The outermost directory created for this file, removed too when empty. */
  madeDir?: string;
}

export interface ExchangedToken {
  url: string;
  token: string;
}

const NAMES = { isPost: "isPost", files: "files", url: "url", token: "token" } as const;

export const isPost = (): boolean => core.getState(NAMES.isPost) === "true";

export const markMainStarted = (): void => core.saveState(NAMES.isPost, "true");

export const saveWrittenFiles = (files: readonly WrittenFile[]): void =>
  core.saveState(NAMES.files, JSON.stringify(files));

/** The files main wrote; state that is not what main saves reads as none (and is warned of). */
export function writtenFiles(): WrittenFile[] {
  const text = core.getState(NAMES.files);
  if (text === "") return [];
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed) && parsed.every(isWrittenFile)) return parsed;
  } catch {
    // reported below
  }
  core.warning("the saved list of written files is unreadable; no file was removed");
  return [];
}

function isWrittenFile(item: unknown): item is WrittenFile {
  const file = item as Partial<WrittenFile> | null;
  return (
    typeof file?.path === "string" &&
    (file.madeDir === undefined || typeof file.madeDir === "string")
  );
}

/** Saved only after the token is registered as a mask. */
export function saveExchangedToken({ url, token }: ExchangedToken): void {
  core.saveState(NAMES.url, url);
  core.saveState(NAMES.token, token);
}

export function exchangedToken(): ExchangedToken | undefined {
  const url = core.getState(NAMES.url);
  const token = core.getState(NAMES.token);
  return url !== "" && token !== "" ? { url, token } : undefined;
}
