/**
 * The post step (`post-if: always()`): removes the files main wrote and revokes the token an
 * OIDC exchange returned. A file already gone is fine; a file that cannot be removed fails the
 * step (a secret would stay on the runner); a failed revocation is a warning (the token
 * expires by itself within the hour).
 */
import * as core from "@actions/core";
import { createCofferClient, toCofferError } from "@coffer/client";
import { ActionError, failureMessage } from "./errors.js";
import { removeMadeDirs, removeSecretFiles } from "./secret-files.js";
import { exchangedToken, writtenFiles } from "./state.js";

/** Removes every written file, then the directories made for them; returns what failed. */
async function removeFiles(): Promise<string[]> {
  const files = writtenFiles();
  const failures = await removeSecretFiles(files, (file, outcome) =>
    core.info(outcome === "removed" ? `Removed ${file.path}` : `${file.path} was already gone`),
  );
  try {
    await removeMadeDirs(files);
  } catch (error) {
    core.warning(`a directory made for the files was not removed: ${failureMessage(error)}`);
  }
  return failures.map(({ file, error }) => `cannot remove ${file.path}: ${failureMessage(error)}`);
}

async function revokeExchangedToken(): Promise<void> {
  const exchanged = exchangedToken();
  if (exchanged === undefined) return;
  try {
    const client = createCofferClient({ url: exchanged.url, token: exchanged.token });
    const { id } = await client.token.revokeSelf.mutate();
    core.info(`Revoked the Coffer token of the OIDC exchange (${id})`);
  } catch (error) {
    const cause = toCofferError(error);
    core.warning(
      `could not revoke the Coffer token of the OIDC exchange (it expires by itself): ${cause.message} (${cause.errorCode})`,
    );
  }
}

export async function runPost(): Promise<void> {
  const failures = await removeFiles();
  await revokeExchangedToken();
  if (failures.length > 0) throw new ActionError(failures.join("\n"));
}
