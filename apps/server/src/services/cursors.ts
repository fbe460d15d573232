/**
 * Listing cursors: opaque base64url to clients, decoded strictly here. A forged cursor (a
 * number past bigint, a name holding a NUL…) is refused as INVALID_REQUEST naming `/cursor`,
 * never passed to the database.
 */
import { invalidField, PRINCIPAL_NAME_RE, SECRET_NAME_RE } from "@coffer/core";

const refused = () =>
  invalidField("listing", [
    { path: "/cursor", message: "not a cursor this server gave; list again without it" },
  ]);

const decode = (cursor: string): string => Buffer.from(cursor, "base64url").toString("utf8");
const encode = (text: string): string => Buffer.from(text, "utf8").toString("base64url");

/** A position in a listing ordered by a numeric id (the audit log). */
export const encodeIdCursor = (id: number): string => encode(String(id));

export function decodeIdCursor(cursor: string): number {
  const text = decode(cursor);
  const id = Number(text);
  if (!/^[1-9][0-9]{0,15}$/.test(text) || !Number.isSafeInteger(id)) throw refused();
  return id;
}

/** A position in the secrets listing: the last (owner, name) shown. */
export const encodeSecretCursor = (owner: string, name: string): string =>
  encode(JSON.stringify([owner, name]));

export function decodeSecretCursor(cursor: string): [string, string] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decode(cursor));
  } catch {
    throw refused();
  }
  if (
    Array.isArray(parsed) &&
    parsed.length === 2 &&
    typeof parsed[0] === "string" &&
    typeof parsed[1] === "string" &&
    PRINCIPAL_NAME_RE.test(parsed[0]) &&
    SECRET_NAME_RE.test(parsed[1])
  ) {
    return [parsed[0], parsed[1]];
  }
  throw refused();
}

/** A page of rows ordered by (owner, name), fetched `limit + 1` deep, as views. */
export function pageByName<R extends { owner: string; name: string }, V>(
  rows: readonly R[],
  limit: number,
  view: (row: R) => V,
): { items: V[]; nextCursor: string | null } {
  const last = rows.length > limit ? rows[limit - 1] : undefined;
  return {
    items: rows.slice(0, limit).map(view),
    nextCursor: last ? encodeSecretCursor(last.owner, last.name) : null,
  };
}

/** A position in a listing newest first: the last (time, id) shown (rotation jobs). */
export const encodeTimeCursor = (at: Date, id: string): string =>
  encode(JSON.stringify([at.toISOString(), id]));

export function decodeTimeCursor(cursor: string, idPattern: RegExp): { at: Date; id: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decode(cursor));
  } catch {
    throw refused();
  }
  if (Array.isArray(parsed) && parsed.length === 2) {
    const [at, id] = parsed as unknown[];
    const time = typeof at === "string" ? new Date(at) : undefined;
    if (
      time !== undefined &&
      !Number.isNaN(time.getTime()) &&
      time.toISOString() === at &&
      typeof id === "string" &&
      idPattern.test(id)
    ) {
      return { at: time, id };
    }
  }
  throw refused();
}
