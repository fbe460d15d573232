/**
 * Root-key rotations at the same time (issue 11): on one server, and on PostgreSQL from two
 * server processes sharing the key file and the database. Afterwards a restart reads every
 * secret, one key file is left, and every protection key is wrapped by its key.
 */
import { describe, expect, it } from "vitest";
import { actorFor, ENGINES, META, POSTGRES_URL } from "./test-support.js";
import { expectIntact, rotateInProcess, rotationPlace, seedSecrets } from "./test-rotation.js";

describe.each(ENGINES)("concurrent root-key rotations on %s", (engine) => {
  it.each([2, 5, 10])(
    "%i at once on one server (and two new protection keys meanwhile), then a restart reads every secret",
    async (count) => {
      const place = await rotationPlace(engine);
      try {
        const first = await place.start();
        const token = first.adminToken!;
        const values = await seedSecrets(first, token);
        const admin = await actorFor(first, token);
        const rotations = Array.from({ length: count }, () =>
          first.services.keys.rotateRoot(admin, META),
        );
        const created = [1, 2].map(() => first.services.keys.create(admin, META, {}));
        const rotated = await Promise.all(rotations);
        await Promise.all(created);
        expect(new Set(rotated.map((r) => r.rootKeyId)).size).toBe(count);
        await first.close();

        const second = await place.start();
        await expectIntact(second, token, values, place.dataDir, 5);
        await second.close();
      } finally {
        await place.drop();
      }
    },
    300_000,
  );
});

describe.skipIf(!POSTGRES_URL)("concurrent root-key rotations from two replicas", () => {
  it.each([
    [1, 1],
    [2, 3],
    [5, 5],
  ])(
    "%i and %i at once from two server processes sharing the key file, then a restart reads every secret",
    async (a, b) => {
      const place = await rotationPlace("postgres");
      try {
        const first = await place.start();
        const token = first.adminToken!;
        const values = await seedSecrets(first, token);
        await first.close();

        const task = { dataDir: place.dataDir, databaseUrl: place.databaseUrl!, token };
        const replicas = [a, b].map((rotations) => rotateInProcess({ ...task, rotations }));
        await Promise.all(replicas.map((r) => r.started));
        for (const r of replicas) r.go();
        const outcomes = await Promise.all(replicas.map((r) => r.done));
        expect(outcomes).toEqual([Array(a).fill("ok"), Array(b).fill("ok")]);

        const restarted = await place.start();
        await expectIntact(restarted, token, values, place.dataDir);
        await restarted.close();
      } finally {
        await place.drop();
      }
    },
    300_000,
  );
});
