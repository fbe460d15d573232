/** Finding secrets and owners by the names people type. */
import type { CofferError } from "@coffer/core";
import {
  invalidRequest,
  notFound,
  parseSecretRef,
  type Resource,
  type SecretStatus,
} from "@coffer/core";
import type { Actor } from "../auth/actor.js";
import type { Queryable } from "../db/database.js";

export interface SecretRow {
  id: number;
  owner: string;
  owner_kind: "user" | "team";
  name: string;
  description: string;
  protection_key_id: string;
  status: SecretStatus;
  deletion_date: Date | null;
  current_version: number;
  previous_version: number | null;
  pending_version: number | null;
  last_version: number;
  max_versions: number;
  created_at: Date;
  created_by: string;
  updated_at: Date;
  updated_by: string;
}

export const SECRET_COLUMNS = `s.id, s.owner, p.kind AS owner_kind, s.name, s.description, s.protection_key_id,
  s.status, s.deletion_date, s.current_version, s.previous_version, s.pending_version, s.last_version,
  s.max_versions, s.created_at, s.created_by, s.updated_at, s.updated_by`;

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

export async function ownerKind(q: Queryable, owner: string): Promise<"user" | "team"> {
  const [row] = await q.query<{ kind: "user" | "team" }>(
    "SELECT kind FROM principals WHERE name = $1",
    [owner],
  );
  if (!row) throw notFound(`no user or team named ${owner}`);
  return row.kind;
}

export function secretResource(
  org: string,
  owner: string,
  kind: "user" | "team",
  name: string,
): Resource {
  return { kind: "secret", org, owner: { kind, name: owner }, name };
}

/** The secret row, locked for update when `lock` (writers serialise on it). */
export async function findSecret(
  q: Queryable,
  owner: string,
  name: string,
  lock = false,
): Promise<SecretRow | undefined> {
  const [row] = await q.query<SecretRow>(
    `SELECT ${SECRET_COLUMNS} FROM secrets s JOIN principals p ON p.name = s.owner
     WHERE s.owner = $1 AND s.name = $2${lock ? " FOR UPDATE OF s" : ""}`,
    [owner, name],
  );
  return row;
}

export function missing(org: string, owner: string, name: string): CofferError {
  const uri = `secret://${org}/${owner}/${name}`;
  return notFound(`${uri} not found`, { uri });
}
