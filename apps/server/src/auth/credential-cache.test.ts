/**
 * The credential cache never serves a right past its invalidation: a token disabled by this
 * server refuses its next request at once; one disabled by SQL typed by hand, or by another
 * replica, refuses as soon as the notification is heard; a lost listening connection empties
 * the cache and nothing is served from it until it is back. PGlite, and PostgreSQL when
 * COFFER_TEST_DATABASE_URL is set (replicas and connection loss: PostgreSQL only).
 */
import { tokenLookupHash } from "@coffer/core";
import { eventually } from "@coffer/test-kit";
import { describe, expect, it } from "vitest";
import { createLogger } from "../logger.js";
import { startServer, type CofferServer } from "../server.js";
import { actorFor, callerAs, ENGINES, META, refusal, serverForSuite } from "../test-support.js";
import type { Actor } from "./actor.js";

async function newToken(
  server: CofferServer,
  admin: Actor,
  name: string,
): Promise<{ id: string; token: string }> {
  return server.services.tokens.create(admin, META, { name, expiresInSeconds: 3600 });
}

describe.each(ENGINES)("the credential cache on %s", (engine) => {
  const suite = serverForSuite(engine);

  it("serves a token from memory once authenticated, and refuses it at once after this server disables it", async () => {
    const { id, token } = await newToken(suite.server, suite.admin, "cached");
    await actorFor(suite.server, token);
    expect(suite.server.deps.credentialCache.get(tokenLookupHash(token))).toBeDefined();
    await callerAs(suite.server, suite.admin).token.disable({ id });
    // No wait: the call itself emptied the cache before it returned.
    const error = await refusal(actorFor(suite.server, token));
    expect(error.details["reason"]).toBe("disabled-token");
  });

  it("is emptied by this server as soon as a call that may take a right away ends, before any notification", async () => {
    const cache = suite.server.deps.credentialCache;
    const api = callerAs(suite.server, suite.admin);
    const generation = cache.generation;
    // Refused, so rolled back: no notification will ever come; the call's end alone empties it.
    await expect(api.token.disable({ id: "tok_0000000000000000" })).rejects.toThrow(/no token/);
    expect(cache.generation).toBeGreaterThan(generation);
    const after = cache.generation;
    await api.secret.create({ secret: "cache-neutral", value: "fake-cache-neutral" });
    expect(cache.generation).toBe(after);
  });

  it("refuses a token disabled by SQL typed by hand once the notification is heard", async () => {
    const { id, token } = await newToken(suite.server, suite.admin, "by-hand");
    await actorFor(suite.server, token);
    const cache = suite.server.deps.credentialCache;
    expect(cache.get(tokenLookupHash(token))).toBeDefined();
    const generation = cache.generation;
    await suite.server.deps.db.query("UPDATE tokens SET disabled_at = now() WHERE id = $1", [id]);
    await eventually("the change was heard", () => cache.generation !== generation || undefined);
    expect((await refusal(actorFor(suite.server, token))).details["reason"]).toBe("disabled-token");
  });

  it("takes a team's grant away from a cached member once the membership is removed by hand", async () => {
    const api = callerAs(suite.server, suite.admin);
    await api.user.create({ name: "cachey" });
    await api.team.create({ name: "cachers" });
    await api.team.addMember({ team: "cachers", user: "cachey" });
    const { token } = await suite.server.services.tokens.create(suite.admin, META, {
      name: "cachey-token",
      expiresInSeconds: 3600,
      for: "cachey",
    });
    expect((await actorFor(suite.server, token)).principal).toMatchObject({
      teams: [{ team: "cachers" }],
    });
    const generation = suite.server.deps.credentialCache.generation;
    await suite.server.deps.db.query("DELETE FROM team_members WHERE member = 'cachey'");
    await eventually(
      "the change was heard",
      () => suite.server.deps.credentialCache.generation !== generation || undefined,
    );
    expect((await actorFor(suite.server, token)).principal).toMatchObject({ teams: [] });
  });

  it.runIf(engine === "postgres")(
    "a token disabled on one replica is refused by another once it hears the change",
    async () => {
      const replica = await startServer(suite.server.config, {
        jobs: false,
        log: createLogger({ logLevel: "silent" }),
        db: await suite.database.open(),
      });
      try {
        const { id, token } = await newToken(suite.server, suite.admin, "two-replicas");
        await actorFor(replica, token);
        const cache = replica.deps.credentialCache;
        expect(cache.get(tokenLookupHash(token))).toBeDefined();
        const generation = cache.generation;
        await callerAs(suite.server, suite.admin).token.disable({ id });
        await eventually(
          "the replica heard the change",
          () => cache.generation !== generation || undefined,
        );
        expect((await refusal(actorFor(replica, token))).details["reason"]).toBe("disabled-token");
      } finally {
        await replica.close();
      }
    },
  );

  it.runIf(engine === "postgres")(
    "a lost listening connection empties the cache, which serves nothing until it is back",
    async () => {
      const { token } = await newToken(suite.server, suite.admin, "lost-listener");
      await actorFor(suite.server, token);
      const cache = suite.server.deps.credentialCache;
      expect(cache.get(tokenLookupHash(token))).toBeDefined();
      const generation = cache.generation;
      const [schema] = await suite.server.deps.db.query<{ schema: string }>(
        "SELECT current_schema() AS schema",
      );
      await suite.server.deps.db.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE query LIKE 'LISTEN coffer_credentials%' AND query LIKE $1`,
        [`%${schema!.schema}%`],
      );
      await eventually(
        "the loss and the return were heard",
        () => cache.generation >= generation + 2 || undefined,
      );
      expect(cache.get(tokenLookupHash(token))).toBeUndefined();
      await actorFor(suite.server, token);
      expect(cache.get(tokenLookupHash(token))).toBeDefined();
    },
  );
});
