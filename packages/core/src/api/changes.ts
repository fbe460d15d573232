/**
 * The change feed (SPEC §7): what subscribers hear when a secret changes. Never a value: the
 * secret's URI, its current version after the change (null once deleted for good) and what
 * happened.
 */
export const SECRET_CHANGE_EVENTS = [
  "put",
  "stage",
  "enable",
  "disable",
  "delete",
  "restore",
] as const;
export type SecretChangeEvent = (typeof SECRET_CHANGE_EVENTS)[number];

export interface SecretChange {
  /** `secret://<org>/<owner>/<name>` */
  uri: string;
  version: number | null;
  event: SecretChangeEvent;
}
