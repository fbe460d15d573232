/**
 * One org for the Action's end-to-end tests, made through the client (values are fake):
 * - user `ci` (a member), whose token the Action uses;
 * - team `ml` (`ci` a member, so it reads them): a plain key, a JSON value (string leaves, one of
 *   them nested and multi-line, a short one), a multi-line certificate with a short line, a
 *   value whose base64 form must be masked too, and a disabled secret;
 * - `admin`'s secrets shared with `ci`: one at `list` (listed, not readable), one at `read`.
 * With each value, the pieces that must never be shown (whole, lines and string leaves of 4+
 * characters), written out here rather than computed, and the short ones that must not be masks.
 */
import { realpath } from "node:fs/promises";
import { tempDir, type TempDir } from "@coffer/test-kit";
import { afterAll, beforeAll } from "vitest";
import { startCoffer, withBase64, type CofferProcess } from "./test-action.js";

export interface Fixture {
  secret: string;
  value: string;
  /** Must be masked, and never shown elsewhere (each with its base64 form). */
  pieces: string[];
  /** Too short to be a mask. */
  short?: string[];
}

const dbCreds = {
  username: "fake-db-user-0002",
  password: "fake-db-pass-0003",
  nested: { note: "fake-note-line-one\n  fake-note-line-two", tag: "ab" },
  port: 5432,
};
const cert = "-----BEGIN FAKE CERT-----\nfakecertline0004\nab\n-----END FAKE CERT-----\n";

export const FIXTURES = {
  openai: {
    secret: "ml/openai_key",
    value: "fake-openai-key-0001",
    pieces: ["fake-openai-key-0001"],
  },
  dbCreds: {
    secret: "ml/db_creds",
    value: JSON.stringify(dbCreds),
    pieces: [
      JSON.stringify(dbCreds),
      "fake-db-user-0002",
      "fake-db-pass-0003",
      "fake-note-line-one\n  fake-note-line-two",
      "fake-note-line-one",
      "  fake-note-line-two",
      "fake-note-line-two",
    ],
    short: ["ab"],
  },
  cert: {
    secret: "ml/tls_cert",
    value: cert,
    pieces: [cert, "-----BEGIN FAKE CERT-----", "fakecertline0004", "-----END FAKE CERT-----"],
    short: ["ab"],
  },
  encoded: {
    secret: "ml/signing_seed",
    // Its base64 form ("ZmFrZS1zZWVkL…") is what a later step would likely print.
    value: "fake-seed/0005+==",
    pieces: ["fake-seed/0005+=="],
  },
  disabled: { secret: "ml/old_key", value: "fake-old-key-0006", pieces: ["fake-old-key-0006"] },
  listOnly: {
    secret: "admin/list_only",
    value: "fake-list-only-0007",
    pieces: ["fake-list-only-0007"],
  },
  shared: { secret: "admin/shared_read", value: "fake-shared-0008", pieces: ["fake-shared-0008"] },
} satisfies Record<string, Fixture>;

export type FixtureName = keyof typeof FIXTURES;

/** Every piece of these fixtures and its base64 form. */
export function piecesOf(...names: FixtureName[]): string[] {
  return withBase64(names.flatMap((name) => FIXTURES[name].pieces));
}

/** Creates the org above; returns the token of `ci`. */
export async function seed(coffer: CofferProcess): Promise<string> {
  const { admin } = coffer;
  const ci = await admin.user.create.mutate({ name: "ci" });
  await admin.team.create.mutate({ name: "ml" });
  await admin.team.addMember.mutate({ team: "ml", user: "ci" });
  await Promise.all(
    Object.values(FIXTURES).map(({ secret, value }) =>
      admin.secret.create.mutate({ secret, value }),
    ),
  );
  await admin.secret.disable.mutate({ secret: FIXTURES.disabled.secret });
  await admin.grant.share.mutate({
    resource: FIXTURES.listOnly.secret,
    subject: "ci",
    level: "list",
  });
  await admin.grant.share.mutate({
    resource: FIXTURES.shared.secret,
    subject: "ci",
    level: "read",
  });
  return ci.token;
}

export interface SeededSuite {
  coffer: CofferProcess;
  /** The token of `ci`. */
  ciToken: string;
  /** A temporary directory for the suite's files (its real path). */
  dir: string;
}

/** For a test file: a server with the org above (and a work directory), for all its tests. */
export function seededSuite(): SeededSuite {
  const suite = {} as SeededSuite;
  let work: TempDir | undefined;
  beforeAll(async () => {
    suite.coffer = await startCoffer();
    suite.ciToken = await seed(suite.coffer);
    work = await tempDir("coffer-action-work-");
    // Real: file targets are reported by their real path (a macOS tmpdir is behind a link).
    suite.dir = await realpath(work.dir);
  });
  afterAll(async () => {
    await suite.coffer?.stop();
    await work?.remove();
  });
  return suite;
}
