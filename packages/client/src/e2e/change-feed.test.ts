/**
 * The change feed over HTTP (server-sent events through the typed client): a subscriber hears
 * changes to what it may list and nothing else, never a value; a credential that is not valid
 * gets UNAUTHORIZED before any stream opens. The two-replica case runs on PostgreSQL.
 */
import type { SecretChange } from "@coffer/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toCofferError, type CofferClient } from "../client.js";
import { startE2eServer, type E2eServer } from "./test-server.js";

const CANARY = "fake-feed-value-5e0c13";

/** Subscribes and collects; resolves once the stream has started. */
async function listen(client: CofferClient) {
  const seen: SecretChange[] = [];
  let stop = (): void => undefined;
  await new Promise<void>((resolve, reject) => {
    const sub = client.secret.changes.subscribe(undefined, {
      onStarted: () => resolve(),
      onData: (change) => seen.push(change),
      onError: (error) => reject(toCofferError(error)),
    });
    stop = () => sub.unsubscribe();
  });
  return {
    seen,
    stop,
    async waitFor(predicate: (c: SecretChange) => boolean, timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs;
      while (!seen.some(predicate)) {
        if (Date.now() > deadline) throw new Error(`not heard: ${JSON.stringify(seen)}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return seen.find(predicate)!;
    },
  };
}

describe("change feed", () => {
  let e2e: E2eServer;
  let member: CofferClient;

  beforeAll(async () => {
    e2e = await startE2eServer();
    const { token } = await e2e.admin.user.create.mutate({ name: "mona" });
    member = e2e.as(token);
    await e2e.admin.team.create.mutate({ name: "feed" });
    await e2e.admin.team.addMember.mutate({ team: "feed", user: "mona" });
  });

  afterAll(async () => {
    await e2e?.stop();
  });

  it("tells a member of changes to team secrets, not to others' personal ones", async () => {
    const feed = await listen(member);
    await e2e.admin.secret.create.mutate({ secret: "admin/private_key", value: CANARY });
    await e2e.admin.secret.create.mutate({ secret: "feed/api_key", value: CANARY });
    await e2e.admin.secret.put.mutate({ secret: "feed/api_key", value: `${CANARY}-2` });
    const rotated = await feed.waitFor((c) => c.version === 2);
    expect(rotated).toEqual({ uri: "secret://default/feed/api_key", version: 2, event: "put" });
    await e2e.admin.secret.disable.mutate({ secret: "feed/api_key" });
    await feed.waitFor((c) => c.event === "disable");
    feed.stop();
    expect(feed.seen.map((c) => c.uri)).not.toContain("secret://default/admin/private_key");
    expect(JSON.stringify(feed.seen)).not.toContain(CANARY);
  });

  it("refuses a bad credential before the stream opens", async () => {
    const error = await listen(e2e.as("cft_not_a_real_token")).catch((e: unknown) => e);
    expect(error).toMatchObject({ errorCode: "UNAUTHORIZED" });
  });
});
