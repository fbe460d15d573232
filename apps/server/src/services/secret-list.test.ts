/**
 * Listing with a prefix, page after page: exactly the names that start with the prefix
 * (`_` and `%` taken literally, not as LIKE wildcards), in byte order within each owner, none
 * twice and none missed across pages, for several owners at once. PGlite, and PostgreSQL when
 * COFFER_TEST_DATABASE_URL is set.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../auth/actor.js";
import {
  actorFor,
  callerAs,
  ENGINES,
  META,
  startTestServer,
  type TestServer,
} from "../test-support.js";

const NAMES = [
  "a_b",
  "aXb",
  "a-b",
  "a_",
  "a",
  "A_b",
  "a_b_c",
  "a_bz",
  "a__",
  "b_a",
  "_a",
  "a_B",
  "a0",
  "a_b-1",
  "a_b-2",
  "ab",
  "a_9",
  "a_Z",
  "a_z",
  "z",
];
const PREFIXES = ["", "a", "a_", "a_b", "a_b-", "A", "_", "a%", "nothing-here"];

describe.each(ENGINES)("secret.list with a prefix on %s", (engine) => {
  let server: TestServer;
  let admin: Actor;

  beforeAll(async () => {
    server = await startTestServer(engine);
    admin = await actorFor(server, server.adminToken);
    const api = callerAs(server, admin);
    await api.team.create({ name: "web" });
    for (const name of NAMES) {
      await server.services.secretWriter.create(admin, META, {
        secret: name,
        value: "fake-list-value",
      });
      await server.services.secretWriter.create(admin, META, {
        secret: `web/${name}`,
        value: "fake-list-value",
      });
    }
  });

  afterAll(async () => {
    await server?.stop();
  });

  const byteOrder = (a: string, b: string): number =>
    Buffer.compare(Buffer.from(a), Buffer.from(b));

  it.each(PREFIXES)("prefix %j: every match once, in order, across pages of 3", async (prefix) => {
    const api = callerAs(server, admin);
    const expected = [...NAMES].filter((n) => n.startsWith(prefix)).sort(byteOrder);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 50; page++) {
      const result = await api.secret.list({ prefix, limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...result.items.map((s) => s.uri));
      if (result.nextCursor === null) break;
      cursor = result.nextCursor;
    }
    const owners = [...new Set(seen.map((uri) => uri.slice(0, uri.lastIndexOf("/"))))];
    expect(owners).toHaveLength(expected.length === 0 ? 0 : 2);
    for (const owner of owners) {
      const names = seen
        .filter((uri) => uri.startsWith(`${owner}/`))
        .map((uri) => uri.slice(owner.length + 1));
      expect(names).toEqual(expected);
    }
    expect(seen).toHaveLength(expected.length * 2);
  });

  it("one owner only, with a prefix", async () => {
    const api = callerAs(server, admin);
    const result = await api.secret.list({ owner: "web", prefix: "a_b", limit: 100 });
    expect(result.items.map((s) => s.uri.slice(s.uri.lastIndexOf("/") + 1))).toEqual(
      NAMES.filter((n) => n.startsWith("a_b")).sort(byteOrder),
    );
  });
});
