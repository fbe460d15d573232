/**
 * Which version a reveal reads when it is asked twice: the reference's `#N` and the `version`
 * field must agree, and a stage goes with neither. Never a silent choice. On every engine.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "./auth/actor.js";
import {
  actorFor,
  ENGINES,
  META,
  refusal,
  startTestServer,
  type TestServer,
} from "./test-support.js";

describe.each(ENGINES)("reveal by version on %s", (engine) => {
  let server: TestServer;
  let admin: Actor;
  const reveal = (input: { secret: string; version?: number; stage?: "previous" }) =>
    server.services.secretReader.reveal(admin, META, input);

  beforeAll(async () => {
    server = await startTestServer(engine);
    admin = await actorFor(server, server.adminToken);
    await server.services.secretWriter.create(admin, META, { secret: "pinned", value: "fake-v1" });
    await server.services.secretWriter.put(admin, META, { secret: "pinned", value: "fake-v2" });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("refuses NAME#1 with version 2, saying both", async () => {
    for (const secret of ["pinned#1", "admin/pinned#1", "secret://default/admin/pinned#1"]) {
      const error = await refusal(reveal({ secret, version: 2 }));
      expect(error.errorCode).toBe("INVALID_REQUEST");
      expect(error.message).toBe(
        "the reference asks for version 1 (#1) and version asks for 2: give one",
      );
    }
  });

  it("accepts NAME#1 with version 1 (they agree), and either alone", async () => {
    expect(await reveal({ secret: "pinned#1", version: 1 })).toMatchObject({
      version: 1,
      value: "fake-v1",
    });
    expect((await reveal({ secret: "pinned#1" })).value).toBe("fake-v1");
    expect((await reveal({ secret: "pinned", version: 1 })).value).toBe("fake-v1");
    expect((await reveal({ secret: "pinned" })).value).toBe("fake-v2");
  });

  it("refuses NAME#N with a stage", async () => {
    const error = await refusal(reveal({ secret: "pinned#2", stage: "previous" }));
    expect(error.message).toBe("give a version (or #N) or a stage, not both");
  });

  it("says which version is missing when #N names none", async () => {
    expect((await refusal(reveal({ secret: "pinned#7" }))).message).toBe(
      "secret://default/admin/pinned has no version 7",
    );
  });

  it("in a batch, refuses only the item that asks twice", async () => {
    const results = await server.services.secretReader.batchReveal(admin, META, {
      items: [{ secret: "pinned#1", version: 2 }, { secret: "pinned#1" }],
    });
    expect(results[0]).toMatchObject({ ok: false, error: { errorCode: "INVALID_REQUEST" } });
    expect(results[1]).toMatchObject({ ok: true, version: 1, value: "fake-v1" });
  });
});
