/** What clients see of a secret: metadata only, never a value. */
import type { SecretStatus, VersionContext } from "@coffer/core";
import { secretUri, type SecretRow } from "../stores/secret-store.js";

export { secretUri };

export interface SecretMeta {
  uri: string;
  owner: string;
  ownerKind: "user" | "team";
  name: string;
  description: string;
  status: SecretStatus;
  deletionDate: string | null;
  currentVersion: number;
  previousVersion: number | null;
  pendingVersion: number | null;
  protectionKeyId: string;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

export function toMeta(org: string, row: SecretRow): SecretMeta {
  return {
    uri: secretUri(org, row.owner, row.name),
    owner: row.owner,
    ownerKind: row.owner_kind,
    name: row.name,
    description: row.description,
    status: row.status,
    deletionDate: row.deletion_date?.toISOString() ?? null,
    currentVersion: row.current_version,
    previousVersion: row.previous_version,
    pendingVersion: row.pending_version,
    protectionKeyId: row.protection_key_id,
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
    updatedAt: row.updated_at.toISOString(),
    updatedBy: row.updated_by,
  };
}

export function versionContext(
  org: string,
  row: Pick<SecretRow, "owner" | "name">,
  version: number,
): VersionContext {
  return { org, owner: row.owner, name: row.name, version };
}

/** The stages a version holds. */
export function stagesOf(row: SecretRow, version: number): ("current" | "previous" | "pending")[] {
  const stages: ("current" | "previous" | "pending")[] = [];
  if (row.current_version === version) stages.push("current");
  if (row.previous_version === version) stages.push("previous");
  if (row.pending_version === version) stages.push("pending");
  return stages;
}
