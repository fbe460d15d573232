/** Who is calling: the principal, the credential that narrows it, and the grants that apply. */
import type { Credential, Grant, Principal } from "@coffer/core";

export interface Actor {
  principal: Principal;
  /** The token's scopes; every call is made with a credential. */
  credential: Credential;
  tokenId: string;
  /** As written in the audit log: a user name, `team:<name>` or `org`. */
  label: string;
  /** The owner of `NAME` short forms: the user itself, or the token's team. */
  defaultOwner: string | undefined;
  /** Grants to the principal and its teams, loaded with the credential. */
  grants: readonly Grant[];
  /** Set when the call came with a console session's cookie (SPEC §13). */
  session?: { id: string; expiresAt: Date };
}

export interface RequestMeta {
  ip: string;
  requestId: string;
}
