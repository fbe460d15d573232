/** Finding secrets and owners by the names people type. */
import type { CofferError } from "@coffer/core";
import { invalidRequest, notFound, parseSecretRef, type Resource } from "@coffer/core";
import type { Actor } from "../auth/actor.js";
import type { Queryable } from "../db/database.js";
import type { PrincipalStore } from "../stores/principal-store.js";

export interface SecretAddress {
  org: string;
  owner: string;
  name: string;
  version?: number;
}

/** Reads `NAME`, `OWNER/NAME` or a secret URI for this actor; the URI's org must be ours. */
export function addressOf(text: string, actor: Actor, org: string): SecretAddress {
  if (actor.defaultOwner === undefined && !text.includes("/")) {
    throw invalidRequest(
      `"${text.slice(0, 130)}" needs an owner: write OWNER/NAME (this token has no default owner)`,
    );
  }
  const uri = parseSecretRef(text, { org, defaultOwner: actor.defaultOwner ?? "" });
  if (uri.org !== org) throw notFound(`no org "${uri.org}" here (this server is "${org}")`);
  return uri;
}

/** The kind of an owner, who must exist. */
export async function ownerKind(
  principals: PrincipalStore,
  q: Queryable,
  owner: string,
): Promise<"user" | "team"> {
  const kind = await principals.kindOf(q, owner);
  if (!kind) throw notFound(`no user or team named ${owner}`);
  return kind;
}

export function secretResource(
  org: string,
  owner: string,
  kind: "user" | "team",
  name: string,
): Resource {
  return { kind: "secret", org, owner: { kind, name: owner }, name };
}

export function missing(org: string, owner: string, name: string): CofferError {
  const uri = `secret://${org}/${owner}/${name}`;
  return notFound(`${uri} not found`, { uri });
}
