/**
 * Signing in to Coffer: with the token input as it is, or (method oidc) by exchanging GitHub's
 * ID token for a short-lived Coffer token, which is masked at once and left for the post step
 * to revoke.
 */
import * as core from "@actions/core";
import { createCofferClient, type CofferClient } from "@coffer/client";
import { ActionError, calling } from "./errors.js";
import type { Credentials } from "./inputs.js";
import { saveExchangedToken } from "./state.js";

export async function signIn(url: string, credentials: Credentials): Promise<CofferClient> {
  const token =
    credentials.method === "token" ? credentials.token : await exchangeIdToken(url, credentials);
  return createCofferClient({ url, token });
}

async function gitHubIdToken(audience: string): Promise<string> {
  try {
    return await core.getIDToken(audience);
  } catch (error) {
    const reason = error instanceof Error ? error.message : "unknown error";
    throw new ActionError(
      `method oidc: GitHub gave no ID token (does the job have "permissions: id-token: write"?): ${reason}`,
    );
  }
}

async function exchangeIdToken(
  url: string,
  { identity, audience }: Extract<Credentials, { method: "oidc" }>,
): Promise<string> {
  const idToken = await gitHubIdToken(audience);
  const anonymous = createCofferClient({ url });
  const exchanged = await calling("the OIDC exchange failed", () =>
    anonymous.oidc.exchange.mutate({
      token: idToken,
      ...(identity === undefined ? {} : { identity }),
    }),
  );
  core.setSecret(exchanged.token);
  saveExchangedToken({ url, token: exchanged.token });
  core.info(
    `Signed in to Coffer as ${exchanged.identity} (OIDC, audience ${audience}; token ${exchanged.tokenId} until ${exchanged.expiresAt}, revoked by the post step)`,
  );
  return exchanged.token;
}
