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
  /**
   * Rotation outcomes (SPEC §11), for those who follow a secret's rotation; they change no
   * value by themselves (a success's promotion is its own `stage` change, in the same
   * transaction).
   */
  "rotation.succeeded",
  "rotation.failed",
  "rotation.missed",
] as const;
export type SecretChangeEvent = (typeof SECRET_CHANGE_EVENTS)[number];

export interface SecretChange {
  /** `secret://<org>/<owner>/<name>` */
  uri: string;
  version: number | null;
  event: SecretChangeEvent;
}
